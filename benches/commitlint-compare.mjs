// Compares the per-message verdicts of commitlint-api.mjs and lint_messages (see
// commitlint-compare.sh) and prints a report. Node only, no dependencies.
import fs from 'node:fs';
const [dir, msgsFile] = process.argv.slice(2);
const msgs = fs.readFileSync(msgsFile, 'utf8').split('\0');
if (msgs.at(-1) === '') msgs.pop();
const cl = JSON.parse(fs.readFileSync(`${dir}/commitlint.json`, 'utf8'));
const po = fs.readFileSync(`${dir}/plasma.jsonl`, 'utf8').trim().split('\n').map(l => JSON.parse(l));
const clSum = JSON.parse(fs.readFileSync(`${dir}/commitlint.summary`, 'utf8').trim().split('\n').at(-1));
const poSum = JSON.parse(fs.readFileSync(`${dir}/plasma.summary`, 'utf8').trim().split('\n').at(-1));
const key = r => JSON.stringify([[...new Set(r.errors)].sort(), [...new Set(r.warnings)].sort()]);
const show = (name, s) => {
  console.log(`\n${name}: ${s.n} messages, rejected ${s.fail}, valid with warnings ${s.validWithWarnings}`);
  console.log(`  lint loop ${s.lintMs.toFixed(1)} ms = ${Math.round(s.msgsPerSecLintOnly).toLocaleString('en')} msg/s; ` +
    `with loading ${Math.round(s.msgsPerSecInclLoad).toLocaleString('en')} msg/s`);
  console.log(`  errors by rule (messages): ${s.errorRulesByMessages.map(([r, n]) => `${r} ${n}`).join(', ') || '-'}`);
  console.log(`  warnings by rule (messages): ${s.warningRulesByMessages.map(([r, n]) => `${r} ${n}`).join(', ') || '-'}`);
};
show('commitlint 21.2.4 (config-conventional, Node API, one process)', clSum);
show('plasma-ops CommitLinter (release build)', poSum);
if (cl.length !== po.length) { console.log(`\nDIFFERENT COUNTS: ${cl.length} vs ${po.length}`); process.exit(0); }
const diffs = [];
for (let i = 0; i < cl.length; i++) if (key(cl[i]) !== key(po[i])) diffs.push(i);
const verdictDiffs = diffs.filter(i => cl[i].valid !== po[i].valid).length;
console.log(`\nmessages with a different accept/reject verdict: ${verdictDiffs}`);
console.log(`messages with a different set of rules (errors or warnings): ${diffs.length}`);
for (const i of diffs) {
  const head = JSON.stringify(msgs[i].split('\n')[0].slice(0, 100));
  console.log(`  #${i + 1} ${head}\n    commitlint ${key(cl[i])}\n    plasma-ops ${key(po[i])}`);
}
console.log(`\nspeed ratio (lint loop): ${(poSum.msgsPerSecLintOnly / clSum.msgsPerSecLintOnly).toFixed(1)}x; ` +
  `including loading: ${(poSum.msgsPerSecInclLoad / clSum.msgsPerSecInclLoad).toFixed(1)}x`);
