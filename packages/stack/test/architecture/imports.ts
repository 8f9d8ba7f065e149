// The module specifiers a source file names, found by the TypeScript parser rather than by regexes: static
// imports and re-exports (type-only too), `import x = require()`, `import()` and `require()` calls with a
// literal argument, and `import("x").T` type references. A computed specifier cannot be checked statically.
import ts from "typescript";

export type TImport = { specifier: string; line: number };

function scriptKindOf(file: string): ts.ScriptKind {
  if (file.endsWith(".tsx")) return ts.ScriptKind.TSX;
  if (/\.[mc]?js$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function literalOf(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;
}

export function importsOf(file: string, text: string): TImport[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, scriptKindOf(file));
  const found: TImport[] = [];
  const add = (specifier: string | undefined, at: ts.Node) => {
    if (specifier === undefined) return;
    found.push({ specifier, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1 });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node))
      add(literalOf(node.moduleSpecifier), node);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(literalOf(node.moduleReference.expression), node);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require";
      if (isImport || isRequire) add(literalOf(node.arguments[0]), node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(literalOf(node.argument.literal), node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
