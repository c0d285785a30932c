#!/usr/bin/env node
// Syntax checker for Swift and Kotlin sources, based on tree-sitter grammars.
//
//   node tools/syntax-check.mjs <file-or-dir>...
//
// Files are picked by extension (.swift, .kt, .kts); directories are walked
// recursively. Every ERROR / MISSING node is printed as
// `path:line:col: syntax error near "..."`; the exit code is 1 if any file has
// one, 2 on bad usage (including no files found), 0 otherwise.
//
// This checks syntax only (no types, no name resolution). It exists so CI can
// catch broken UniFFI-generated bindings without a Swift or Kotlin toolchain.
import fs from 'node:fs';
import path from 'node:path';
import Parser from 'tree-sitter';
import Swift from 'tree-sitter-swift';
import Kotlin from '@tree-sitter-grammars/tree-sitter-kotlin';

const LANGUAGES = { '.swift': Swift, '.kt': Kotlin, '.kts': Kotlin };
const SKIP_DIRS = new Set(['node_modules', 'build', '.gradle']);

// Constructs that are valid Swift but that tree-sitter-swift 0.7.1 rejects,
// all emitted by UniFFI 0.32. Each rule rewrites exactly that construct into
// something the grammar accepts, with spaces of the same length, so offsets,
// lines and columns are unchanged. Anything around them is still checked.
const blank = (s) => s.replace(/[^\r\n]/g, ' ');
const SWIFT_WORKAROUNDS = [
  // 1. An attribute wrapped in a compiler-version check:
  //      #if swift(>=5.8)
  //      @_documentation(visibility: private)
  //      #endif
  //      public func lift(...)
  //    The grammar parses #if/#endif lines as standalone statements, so they
  //    cannot sit between an attribute and its declaration. Blank only the two
  //    directive lines, and only if everything between them is attribute
  //    lines; the attributes stay, and are checked with the next declaration.
  //    (The grammar has the same gap for any condition, e.g. #if os(iOS); only
  //    swift(>=N) is tolerated because that is all UniFFI emits.)
  [
    /^([ \t]*#if[ \t]+swift\(>=\d+(?:\.\d+)*\)[ \t]*)(\r?\n(?:[ \t]*@\w+(?:\([^()\r\n]*\))?[ \t]*\r?\n)+)([ \t]*#endif[ \t]*)$/gm,
    (_, ifLine, attrs, endifLine) => blank(ifLine) + attrs + blank(endifLine),
  ],
  // 2. `nonisolated(unsafe)` (Swift 5.10): the grammar only knows the plain
  //    `nonisolated` modifier, so blank the `(unsafe)` argument.
  [/\bnonisolated\(unsafe\)/g, () => 'nonisolated' + blank('(unsafe)')],
  // 3. A closure whose whole body is the empty tuple, `{ () }`: the grammar
  //    has no empty-tuple expression at all (`let a = ()` fails too), but
  //    UniFFI only emits it this way. Blank the `()`, leaving the equivalent
  //    empty closure `{    }`.
  [/\{([ \t]*)\(\)([ \t]*)\}/g, (_, a, b) => `{${a}  ${b}}`],
];

// The same for @tree-sitter-grammars/tree-sitter-kotlin 1.1.0.
const KOTLIN_WORKAROUNDS = [
  // 1. A KDoc comment with the declaration it documents on the line of its
  //    closing `*/`, after an expression-bodied function:
  //      override fun a() = call { }
  //      /**
  //       * doc
  //       */override fun b() = call { }
  //    The grammar then reads `override` as part of the statement before.
  //    UniFFI emits it for a documented method that returns nothing and
  //    throws nothing. A comment is no syntax, so blank the whole comment
  //    (keeping its line breaks), only where it opens its line and code follows
  //    its `*/` directly; the declaration stays and is checked.
  [
    /^([ \t]*)(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)(?=\S)/gm,
    (_, indent, comment) => indent + blank(comment),
  ],
];

/** Returns `text` with the known grammar gaps of `language` neutralised. */
function neutralise(text, language) {
  const workarounds = language === Swift ? SWIFT_WORKAROUNDS : KOTLIN_WORKAROUNDS;
  for (const [re, fn] of workarounds) text = text.replace(re, fn);
  return text;
}

const parser = new Parser();

/** Parses one file; returns a list of error messages (empty if OK). */
function checkFile(file) {
  const language = LANGUAGES[path.extname(file)];
  const text = fs.readFileSync(file, 'utf8');
  parser.setLanguage(language);
  // Some node-tree-sitter releases fail on strings over 32 KiB unless
  // bufferSize covers the input; 0.22.4 copes either way, but be explicit.
  const tree = parser.parse(neutralise(text, language), undefined, {
    bufferSize: text.length + 1024,
  });

  const errors = [];
  const report = (node) => {
    const { row, column } = node.startPosition;
    // Node indexes are UTF-16 offsets into the parsed string, which has the
    // same length as the original, so slice the original for the message.
    let snippet = text.slice(node.startIndex, node.endIndex);
    if (!snippet) snippet = text.slice(node.startIndex); // MISSING: show what follows
    snippet = snippet.trim().split('\n')[0].slice(0, 60);
    const missing = node.isMissing ? ` (missing ${node.type})` : '';
    errors.push(`${file}:${row + 1}:${column + 1}: syntax error near "${snippet}"${missing}`);
  };
  const visit = (node) => {
    if (node.isError || node.isMissing) return report(node);
    const bad = node.children.filter((c) => c.hasError || c.isMissing);
    // hasError without a visible bad child: the MISSING token is a hidden
    // one (e.g. part of an identifier), so blame this node.
    if (bad.length === 0) return report(node);
    bad.forEach(visit);
  };
  if (tree.rootNode.hasError) visit(tree.rootNode);
  return errors;
}

/** Expands files and directories into the list of files to check. */
function collectFiles(target, out = []) {
  if (fs.statSync(target).isDirectory()) {
    for (const entry of fs.readdirSync(target, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && SKIP_DIRS.has(entry.name)) continue;
      if (entry.isDirectory() || path.extname(entry.name) in LANGUAGES) collectFiles(path.join(target, entry.name), out);
    }
  } else if (path.extname(target) in LANGUAGES) {
    out.push(target);
  } else {
    throw new Error(`${target}: not a .swift, .kt or .kts file`);
  }
  return out;
}

function main(args) {
  if (args.length === 0) {
    console.error('usage: node tools/syntax-check.mjs <file-or-dir>...');
    return 2;
  }
  let files;
  try {
    files = args.flatMap((a) => collectFiles(a));
  } catch (e) {
    console.error(e.message);
    return 2;
  }
  if (files.length === 0) {
    // Most likely a wrong path or bindings that were not generated.
    console.error(`no .swift, .kt or .kts files found in ${args.join(' ')}`);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    const errors = checkFile(file);
    if (errors.length) failed++;
    for (const e of errors) console.error(e);
  }
  if (failed) {
    console.error(`checked ${files.length} files: ${failed} with syntax errors`);
    return 1;
  }
  console.log(`checked ${files.length} files: OK`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
