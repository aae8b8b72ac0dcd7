// Checks plasma-ops's GraphQL operations, and the fake GitHub's answers to them, against GitHub's
// published schema (@octokit/graphql-schema, built from its introspection JSON: GitHub's SDL
// defines two EnterpriseOwnerInfo fields twice, which the SDL builder refuses).
//
//   node graphql-check.mjs validate DIR
//     validates every *.graphql file in DIR; prints {"checked": [files], "problems": [...]}.
//   node graphql-check.mjs execute < cases.json
//     cases: [{"name", "document", "variables", "answer"}]. Executes each document against the
//     schema with the answer's `data` as the root value: every selected field must resolve to a
//     value of its schema type (non-null, enums, scalars, __typename of abstract types), and the
//     result must equal the answer's `data` (so the answer has no field the operation did not
//     select). An answer's `errors` must each carry a message and, when given, a path of
//     strings and numbers.
// Exit status: 0 when there is no problem, 1 when there are problems, 2 on a usage error.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { schema as published } from "@octokit/graphql-schema";
import { buildClientSchema, execute, parse, validate } from "graphql";

const schema = buildClientSchema(published.json);
const [mode, dir] = process.argv.slice(2);
const problems = [];

function isDeepStrictEqual(a, b) {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  }
  return v;
}

if (mode === "validate" && dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".graphql")).sort();
  for (const f of files) {
    let doc;
    try {
      doc = parse(readFileSync(join(dir, f), "utf8"));
    } catch (e) {
      problems.push(`${f}: ${e.message}`);
      continue;
    }
    for (const e of validate(schema, doc)) {
      const at = (e.locations || []).map((l) => `${l.line}:${l.column}`).join(",");
      problems.push(`${f}:${at}: ${e.message}`);
    }
  }
  console.log(JSON.stringify({ checked: files, problems }));
} else if (mode === "execute") {
  const cases = JSON.parse(readFileSync(0, "utf8"));
  const checked = [];
  for (const c of cases) {
    checked.push(c.name);
    const doc = parse(c.document);
    const invalid = validate(schema, doc);
    if (invalid.length) {
      problems.push(`${c.name}: the operation is not valid: ${invalid.map((e) => e.message).join("; ")}`);
      continue;
    }
    const answer = c.answer || {};
    for (const e of answer.errors || []) {
      const pathOk = e.path === undefined || (Array.isArray(e.path) && e.path.every((p) => typeof p === "string" || Number.isInteger(p)));
      if (typeof e.message !== "string" || !pathOk) {
        problems.push(`${c.name}: malformed error ${JSON.stringify(e)}`);
      }
    }
    if (!("data" in answer) && !(answer.errors || []).length) {
      problems.push(`${c.name}: neither data nor errors`);
      continue;
    }
    if (!("data" in answer)) continue;
    const result = execute({ schema, document: doc, rootValue: answer.data, variableValues: c.variables });
    // A field GitHub reports as an error may be null although its type is not null; such
    // nulls are expected exactly at the answer's error paths.
    const errorPaths = new Set((answer.errors || []).map((e) => JSON.stringify(e.path)));
    for (const e of result.errors || []) {
      if (!errorPaths.has(JSON.stringify(e.path))) {
        problems.push(`${c.name}: ${(e.path || []).join(".")}: ${e.message}`);
      }
    }
    if (!isDeepStrictEqual(result.data, answer.data)) {
      problems.push(`${c.name}: the answer differs from what the schema gives for the operation: got ${JSON.stringify(answer.data)}, schema gives ${JSON.stringify(result.data)}`);
    }
  }
  console.log(JSON.stringify({ checked, problems }));
} else {
  console.error("usage: node graphql-check.mjs validate DIR | execute < cases.json");
  process.exit(2);
}
process.exit(problems.length ? 1 : 0);
