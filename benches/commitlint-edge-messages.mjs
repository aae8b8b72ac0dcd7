// Hand-made edge cases of commitlint's semantics (whitespace, Unicode case, quotes, footers,
// ignores, URL exemptions, UTF-16 lengths), written NUL-separated to stdout for
// commitlint-compare.sh: `node benches/commitlint-edge-messages.mjs > /tmp/edge.nul &&
// benches/commitlint-compare.sh /tmp/edge.nul`. Whitespace-only messages are left out:
// commitlint's parser throws on them ("Expected a raw commit"); we report no findings for them.
const L = 'x'.repeat(101);
const m = [
  'feat: add x', 'feat(api): add x', 'feat(a)(b): x', 'feat(a): b (c): d', 'feat(a)!: b): c', 'feat!: x', 'feat!:x', 'feat: ', 'feat:', ': x', '(a): x',
  ' feat: x', 'feat: x ', 'feat: x\t', '\tfeat: x', 'feat: x\u00a0', 'feat: x\u3000', '\ufefffeat: x',
  'Feat: x', 'FEAT: x', 'feat_x: y', 'feat-x: y', 'fe4t: y', '123: y', '1Abc: y', 'feat : x', 'feat:  x', 'feat:  Add x',
  'feat: Add x', 'feat: add X', 'feat: ADD', 'feat: Ädd x', 'feat: ädd x', 'feat: ßtraße', 'feat: ǅx', 'feat: ĸx', 'feat: ªx', 'feat: Ωmega', 'feat: ωmega',
  'feat: `Foo` bar', 'feat: "Foo" bar', "feat: 'Foo' bar", "feat: don't Panic", 'feat: a "B" C', 'feat: 2FA', 'feat: v2', 'feat: _Foo', 'feat: -Foo', 'feat: x.', 'feat: x...', 'feat: x…', 'feat: x!', 'feat:', 'fix: see:', 'a:', 'foo.', 'foo...',
  'feat: x\nbody', 'feat: x\n\nbody', '\nfeat: x\n\nbody', 'feat: x\r\n\r\nbody\r\n', 'feat: x\n\n' + L, 'feat: x\n\nhttps://e.com/' + L, 'feat: x\n\nsee xhttps://e.com/' + L, 'feat: x\n\nhttp://' + L, 'feat: x\n\nhttps:// ' + L,
  'feat: x\n\nRefs: #1', 'feat: x\nRefs: #1', 'feat: x\n\nbody\nRefs: #1', 'feat: x\n\nbody\nFixes #1', 'feat: x\n\nbody\nFixes #', 'feat: x\n\nbody\nsee: ', 'feat: x\n\nbody\nsee:  ',
  'feat: x\n\nbody\nBREAKING CHANGE: y', 'feat: x\n\nbody\nbreaking change: y', 'feat: x\n\nbody\n* BREAKING CHANGE: y', 'feat: x\n\nbody\nBREAKING-CHANGE:y', 'feat: x\n\nbody\nBREAKING CHANGE:\n' + L,
  'feat: x\n\nRefs: #1\n' + L, 'Refs: #1\n\nRefs: #1', 'feat: x\n\nbody\n\nRefs: #1\n\nmore\nCo-authored-by: A <a@b>',
  'feat: x\ngpg: sig\n\nbody', 'gpg: only', 'feat: x\n\n  indented: not token', 'feat: x\n\nWord: y',
  'Merge branch \'x\'', 'Merge pull request #1', 'Merge x into y', 'Merge into y', 'Merge  into y', 'body\nMerge branch x', 'feat: x\n\nMerge tag v1', 'Merged in x', 'Merged x into y', 'Merged PR 1: x', 'Merge remote-tracking branch x', 'Automatic merge', 'Auto-merged a into b',
  'Revert "feat: x"', 'revert x', 'revert: x', 'Reapply x', 'fixup! x', 'squash! x', 'amend! x', 'fixup x',
  '1.2.3', 'v1.2.3', 'V1.2.3', '=1.2.3', 'chore: 1.2.3', 'chore(release): 1.2.3', 'chore(release): v1.2.3 [skip ci]', 'chore: [ci skip] 1.2.3', 'chore: 1.2.3 (skip-ci)', '1.2', '1.2.3\nbody', '9007199254740992.0.0', '9007199254740991.0.0',
  '', 'x', 'X', 'feat(scope with space): x', 'feat(): x', 'feat(a\rb): x', 'feat: a\rb', 'feat: x\u2028y', 'feat: 😀' + '😀'.repeat(46), 'feat: 😀' + '😀'.repeat(47),
  'feat: x\n\n' + 'é'.repeat(100), 'feat: x\n\n' + 'é'.repeat(101), 'fix: ' + 'a'.repeat(95), 'fix: ' + 'a'.repeat(96),
];
process.stdout.write(m.join('\0') + '\0');
