// Strict re-validation of the fake's answers against GitHub's OpenAPI description.
//
// Prism validates response bodies with ajv's `coerceTypes: true`, so `"7"` passes where the schema
// says integer and `5` where it says string. This script checks the same bodies without coercion.
// Usage: node strict_schema.js CONTRACT_DIR EXCHANGES_JSONL
// Each input line: {"method","path","status","body"}. Prints one JSON object:
// {"checked": n, "problems": [...], "undocumented": [...]}.
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, input] = process.argv.slice(2);
const nm = path.join(dir, 'node_modules');
const Ajv = require(path.join(nm, 'ajv')).default;
const addFormats = require(path.join(nm, 'ajv-formats')).default;
const spec = JSON.parse(fs.readFileSync(path.join(dir, 'openapi', 'api.github.com.json'), 'utf8'));

// OpenAPI 3.0 -> JSON Schema: `nullable` becomes a null type; local $refs point into "spec".
function convert(s) {
  if (Array.isArray(s)) return s.map(convert);
  if (!s || typeof s !== 'object') return s;
  let o = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) o[k] = 'spec' + v;
    else if (k === 'properties') o[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, convert(ps)]));
    else o[k] = convert(v);
  }
  if (o.nullable === true) {
    delete o.nullable;
    if (typeof o.type === 'string') {
      o.type = [o.type, 'null'];
      if (o.enum) o.enum = [...o.enum, null];
    } else {
      o = { anyOf: [{ type: 'null' }, o] };
    }
  } else if (o.nullable === false) {
    delete o.nullable;
  }
  return o;
}

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema({ components: convert(spec.components) }, 'spec');

const literal = t => (t.match(/\/[^{/][^/]*/g) || []).length;
const templates = Object.keys(spec.paths)
  .map(t => ({ t, re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$') }))
  .sort((a, b) => literal(b.t) - literal(a.t));
const deref = r => {
  while (r && r.$ref) r = r.$ref.replace('#/', '').split('/').reduce((o, k) => o[k], spec);
  return r;
};

const compiled = new Map();
const out = { checked: 0, problems: [], undocumented: [] };
for (const line of fs.readFileSync(input, 'utf8').split('\n').filter(Boolean)) {
  const x = JSON.parse(line);
  const method = x.method.toLowerCase();
  const hit = templates.find(c => c.re.test(x.path) && spec.paths[c.t][method]);
  if (!hit) {
    out.problems.push(`${x.method} ${x.path}: no operation in the description`);
    continue;
  }
  const response = deref(spec.paths[hit.t][method].responses[String(x.status)]);
  if (!response) {
    out.undocumented.push(`${x.method} ${hit.t} -> ${x.status}`);
    continue;
  }
  const media = response.content && (response.content['application/json'] || Object.values(response.content)[0]);
  if (!media || !media.schema || x.body === null) continue;
  const key = `${method} ${hit.t} ${x.status}`;
  if (!compiled.has(key)) compiled.set(key, ajv.compile(convert(media.schema)));
  const validate = compiled.get(key);
  out.checked++;
  if (!validate(x.body)) {
    const errors = validate.errors.slice(0, 10).map(e => `${e.instancePath || '/'} ${e.message}`);
    out.problems.push(`${x.method} ${x.path} -> ${x.status} (${hit.t}): ${errors.join('; ')}`);
  }
}
console.log(JSON.stringify(out));
