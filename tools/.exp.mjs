import Parser from 'tree-sitter';
import Swift from 'tree-sitter-swift';
const p = new Parser(); p.setLanguage(Swift);
const cases = {
 attrNoIf: '@_documentation(visibility: private)\nfileprivate struct A {}\n',
 attrIf: '#if swift(>=5.8)\n@_documentation(visibility: private)\n#endif\nfileprivate struct A {}\n',
 attrBlanked: '                \n@_documentation(visibility: private)\n      \nfileprivate struct A {}\n',
 attrIfMember: 'class C {\n#if swift(>=5.8)\n    @_documentation(visibility: private)\n#endif\n    public func f() {}\n}\n',
 ifOS: '#if os(iOS)\n@available(iOS 13, *)\n#endif\nstruct A {}\n',
 ifDecl: '#if swift(>=5.8)\nstruct B {}\n#endif\nstruct A {}\n',
 noniso: 'class C {\n    nonisolated(unsafe) static let x: Int = 1\n}\n',
 nonisoPlain: 'class C {\n    nonisolated static let x: Int = 1\n}\n',
 nonisoTop: 'nonisolated(unsafe) var x: Int = 1\n',
 nonisoTopPlain: 'nonisolated            var x: Int = 1\n',
 closure: 'func f() {\n    let x = { () }\n}\n',
 closureBlank: 'func f() {\n    let x = {    }\n}\n',
 closureArr: 'func f() {\n    let x = { [] }\n}\n',
 closureVoid: 'func f() {\n    let x = { () in }\n}\n',
 closureCall: 'func f() {\n    g({ () })\n}\n',
 tupleStmt: 'func f() {\n    let x = { return () }\n}\n',
};
for (const [k, s] of Object.entries(cases)) {
  const t = p.parse(s); console.log(k.padEnd(16), t.rootNode.hasError ? 'ERR' : 'ok ', t.rootNode.hasError ? '' : t.rootNode.toString().slice(0,200));
}
