import Parser from 'tree-sitter';
import Swift from 'tree-sitter-swift';
import Kotlin from '@tree-sitter-grammars/tree-sitter-kotlin';
import fs from 'node:fs';
const [,, lang, file] = process.argv;
const p = new Parser(); p.setLanguage(lang === 'swift' ? Swift : Kotlin);
const text = fs.readFileSync(file, 'utf8');
const t = p.parse(text, undefined, {bufferSize: 4*text.length+1024});
const lines = text.split('\n');
const walk = (n) => {
  if (n.isError || n.isMissing) { console.log(n.isMissing?'MISSING':'ERROR', n.startPosition, n.endPosition, JSON.stringify(lines[n.startPosition.row]), JSON.stringify(n.text.slice(0,80))); }
  if (n.hasError) for (const c of n.children) walk(c);
};
walk(t.rootNode); console.log('hasError', t.rootNode.hasError);
