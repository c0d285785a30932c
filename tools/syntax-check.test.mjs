// Tests for syntax-check.mjs; run with `node --test tools/`.
// Each case writes a temp file and runs the CLI as a child process, so the
// exit code and the printed messages are what CI would see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CLI = new URL('./syntax-check.mjs', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syntax-check-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name, text) {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function check(...targets) {
  const r = spawnSync(process.execPath, [CLI, ...targets], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const passes = (name, text) => {
  const file = write(name, text);
  const r = check(file);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /checked 1 files: OK/);
};

// Asserts that `text` fails with an error on `line` (1-based), naming the file.
const failsAt = (name, text, line) => {
  const file = write(name, text);
  const r = check(file);
  assert.equal(r.code, 1, r.out);
  assert.ok(r.out.includes(`${file}:${line}:`), `expected an error at ${file}:${line}, got:\n${r.out}`);
  assert.match(r.out, /syntax error near "/);
};

// The three UniFFI constructs tree-sitter-swift 0.7.1 does not accept.
const IF_ATTR = '#if swift(>=5.8)\n    @_documentation(visibility: private)\n#endif\n';
const NONISOLATED = '    nonisolated(unsafe) static let shared: Int = 1\n';
const UNIT_CLOSURE = '    let writeReturn = { () }\n';

const VALID_SWIFT = `import Foundation

public protocol Greeter: AnyObject {
    func greet(name: String) throws -> String
}

public struct Account: Equatable {
    public var id: UInt64
    public var balance: Int64?
}

public func describe(_ a: Account) -> String {
    guard let b = a.balance else { return "#\\(a.id): none" }
    return "#\\(a.id): \\(b)"
}
`;

const VALID_KOTLIN = `package uniffi.demo

import java.nio.ByteBuffer

data class Account(val id: ULong, var balance: Long?)

interface Greeter {
    fun greet(name: String): String
}

fun describe(a: Account): String = when (val b = a.balance) {
    null -> "#\${a.id}: none"
    else -> "#\${a.id}: $b"
}
`;

test('valid Swift and Kotlin pass', () => {
  passes('valid.swift', VALID_SWIFT);
  passes('valid.kt', VALID_KOTLIN);
  passes('build.gradle.kts', 'plugins {\n    id("com.android.library")\n}\nandroid {\n    compileSdk = 34\n}\n');
});

test('broken Swift fails with file and line', () => {
  failsAt('broken.swift', 'struct A {\n    let x: Int\n}\n\nfunc f() -> Int {\n    let y = (1 +\n    return y\n}\n', 6);
});

test('broken Kotlin fails with file and line', () => {
  failsAt('broken.kt', 'fun main() {\n    val x = \n}\n', 2);
  failsAt('broken.kts', 'plugins {\n    id("com.android.library"\n}\n', 2);
});

test('each tolerated Swift construct passes on its own', () => {
  passes('if-attr-member.swift', `extension Int {\n${IF_ATTR}    public func f() {}\n}\n`);
  passes('if-attr-top.swift', `${IF_ATTR.replaceAll('    @', '@')}fileprivate struct S {}\n`);
  passes('nonisolated.swift', `final class C {\n${NONISOLATED}}\n`);
  passes('unit-closure.swift', `func f() {\n${UNIT_CLOSURE}    writeReturn()\n}\n`);
});

test('a tolerated construct does not hide a real error elsewhere', () => {
  // Also checks that neutralising keeps line numbers intact.
  const body = `final class C {\n${IF_ATTR}    public func f() {\n${UNIT_CLOSURE}    }\n${NONISOLATED}}\n`;
  passes('all-three.swift', body);
  failsAt('all-three-broken.swift', body + 'let = 1\n', 10);
});

test('errors on the tolerated lines themselves still fail', () => {
  // Broken attribute inside the #if block.
  failsAt('bad-attr.swift', '#if swift(>=5.8)\n@_documentation(visibility: private\n#endif\nstruct S {}\n', 2);
  // A non-attribute line inside the #if block is not neutralised.
  failsAt('bad-if-body.swift', '#if swift(>=5.8)\n@_documentation(visibility: private)\nlet = 1\n#endif\nstruct S {}\n', 3);
  // Broken declaration after nonisolated(unsafe).
  failsAt('bad-nonisolated.swift', 'final class C {\n    nonisolated(unsafe) static let: Int = 1\n}\n', 2);
  // Something other than `()` in the closure / a broken `{ () }`.
  failsAt('bad-closure.swift', 'func f() {\n    let x = { ( }\n}\n', 2);
  failsAt('bad-closure-let.swift', 'func f() {\n    let = { () }\n}\n', 2);
});

// The UniFFI construct the Kotlin grammar does not accept: a documented method that
// returns nothing, its KDoc closing on the declaration's line, after an expression body.
const KDOC_METHOD = `class C {
    override fun a()
        = 
    call {
    run() { s -> f(it, s) }
    }
    
    /**
     * Does b.
     */override fun \`b\`(\`d\`: kotlin.String)
        = 
    call { g(\`d\`) }
}
`;

test('the tolerated Kotlin construct passes, and breaking the method after it still fails', () => {
  passes('kdoc-method.kt', KDOC_METHOD);
  failsAt('kdoc-method-broken.kt', KDOC_METHOD.replace('(\`d\`: kotlin.String)', '(\`d\`: )'), 10);
  // Line numbers stay intact after the blanked comment.
  failsAt('kdoc-method-later.kt', KDOC_METHOD + 'val = 1\n', 14);
});

test('directories are walked, skipping node_modules, build and .gradle', () => {
  const dir = path.join(tmp, 'tree');
  write('tree/ios/App.swift', VALID_SWIFT);
  write('tree/android/app/Main.kt', VALID_KOTLIN);
  write('tree/README.md', 'not checked');
  for (const skip of ['node_modules', 'build', '.gradle']) write(`tree/${skip}/Bad.kt`, 'fun (');
  let r = check(dir);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /checked 2 files: OK/);

  write('tree/android/app/Bad.kt', 'fun main( {\n');
  r = check(dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /Bad\.kt:1:/);
});

test('bad usage exits 2', () => {
  assert.equal(check().code, 2);
  assert.equal(check(path.join(tmp, 'does-not-exist')).code, 2);
  assert.equal(check(write('notes.txt', 'x')).code, 2);
  assert.equal(check(fs.mkdtempSync(path.join(tmp, 'empty-'))).code, 2);
});

// The real UniFFI output, when scripts/bindings.sh has been run.
const BINDINGS = ['target/bindings/swift/BankCore.swift', 'target/bindings/kotlin/uniffi/bank_core/bank_core.kt']
  .map((p) => path.join(ROOT, p));
test('generated bindings pass', { skip: !BINDINGS.every((f) => fs.existsSync(f)) && 'bindings not generated' }, () => {
  const r = check(...BINDINGS);
  assert.equal(r.code, 0, r.out);
});

// The app shells' own sources, as they are when the test runs: each real file that passes
// must fail, naming itself, once its last closing bracket is deleted, so a broken shell
// cannot slip through the check.
function sourcesUnder(dir, extensions) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && extensions.includes(path.extname(entry.name)))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .filter((file) => !/[\\/](node_modules|build|\.gradle)[\\/]/.test(path.relative(ROOT, file)))
    .sort();
}

// Usually a `}`; a `)` in files without braces, such as Package.swift.
const withoutLastClosingBracket = (text) => {
  const bracket = Math.max(text.lastIndexOf('}'), text.lastIndexOf(')'));
  assert.ok(bracket >= 0, 'the file has no closing bracket to delete');
  return text.slice(0, bracket) + text.slice(bracket + 1);
};

/** Copies `real`; returns the copy's result and, if the copy passed, the broken copy's. */
function checkCopies(real) {
  const name = path.relative(ROOT, real);
  const text = fs.readFileSync(real, 'utf8');
  const intact = write(path.join('intact', name), text);
  const broken = write(path.join('broken', name), withoutLastClosingBracket(text));
  const intactResult = check(intact);
  return { intact, intactResult, broken, brokenResult: intactResult.code === 0 ? check(broken) : undefined };
}

function assertBrokenCopyFails({ broken, brokenResult }) {
  assert.equal(brokenResult.code, 1, brokenResult.out);
  assert.ok(brokenResult.out.includes(`${broken}:`), `expected an error naming ${broken}, got:\n${brokenResult.out}`);
}

/** Every real source of a shell must pass as it is, and fail, named, once broken. */
function checkShell(sources) {
  assert.ok(sources.length > 0, 'the shell has no sources to check');
  for (const real of sources) {
    const result = checkCopies(real);
    assert.equal(result.intactResult.code, 0, result.intactResult.out);
    assertBrokenCopyFails(result);
  }
}

test('every iOS source passes, and fails once a closing bracket is deleted', () => {
  checkShell(sourcesUnder(path.join(ROOT, 'ios'), ['.swift']));
});

test('every Android source passes, and fails once a closing bracket is deleted', () => {
  checkShell(sourcesUnder(path.join(ROOT, 'android'), ['.kt', '.kts']));
});
