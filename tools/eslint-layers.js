/**
 * ESLint rule `layers/boundaries`: the architecture's import rules (docs/architecture.md), checked
 * on every way a module can be loaded — `import` and `export … from` (type-only ones too), dynamic
 * `import()`, `require()`, `import x = require()` and `import("…")` types.
 *
 * ESLint's own `no-restricted-imports` sees only static imports and matches the text of a path
 * (so a pattern meant for oracle/chain also matched an unrelated `./chain`). This rule resolves a
 * relative path against the file and compares the result with the forbidden folders, and a bare
 * specifier's package name with the forbidden packages. An `import()` or `require()` whose path
 * is computed cannot be checked and is refused in any file the rule applies to.
 *
 * Options: `{ forbid: [{ paths?: ["oracle/chain"], packages?: ["ethers", "@nomicfoundation/*"],
 * allowTypeImports?: boolean, message }] }`; paths are folders or files relative to the project
 * root (ESLint's cwd), without an extension.
 */
const path = require("node:path");

/** The package a bare specifier names: `ethers/lib` → `ethers`, `@scope/pkg/x` → `@scope/pkg`. */
function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function matchesPackage(name, pattern) {
  return pattern.endsWith("/*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The module a relative specifier names, relative to the project root, without an extension. */
function resolvedPath(specifier, filename, root) {
  const absolute = path.resolve(path.dirname(filename), specifier);
  return path
    .relative(root, absolute)
    .split(path.sep)
    .join("/")
    .replace(/\.(?:[cm]?[jt]s|d\.ts|json)$/, "");
}

function matchesPath(target, folder) {
  return target === folder || target.startsWith(`${folder}/`) || target === `${folder}/index`;
}

/** The text of a string literal or of a template literal without `${}`; undefined otherwise. */
function staticText(node) {
  if (!node) return undefined;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return undefined;
}

const rule = {
  meta: {
    type: "problem",
    docs: { description: "Enforces the layer boundaries of docs/architecture.md on every kind of import." },
    schema: [
      {
        type: "object",
        properties: {
          forbid: {
            type: "array",
            items: {
              type: "object",
              properties: {
                paths: { type: "array", items: { type: "string" } },
                packages: { type: "array", items: { type: "string" } },
                allowTypeImports: { type: "boolean" },
                message: { type: "string" },
              },
              required: ["message"],
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: "'{{specifier}}': {{message}}",
      computed: "{{what}} with a computed path cannot be checked against the layer boundaries; name the module",
    },
  },
  create(context) {
    const options = context.options[0] || {};
    const forbid = options.forbid || [];
    const root = context.cwd;
    const filename = context.filename;

    function check(node, specifier, typeOnly) {
      const relative = specifier.startsWith(".");
      const target = relative ? resolvedPath(specifier, filename, root) : undefined;
      const name = relative ? undefined : packageName(specifier);
      for (const f of forbid) {
        if (typeOnly && f.allowTypeImports) continue;
        const hit = relative
          ? (f.paths || []).some((p) => matchesPath(target, p))
          : (f.packages || []).some((p) => matchesPackage(name, p));
        if (hit) {
          context.report({ node, messageId: "forbidden", data: { specifier, message: f.message } });
          return;
        }
      }
    }

    function checkSource(node, source, typeOnly, what) {
      const text = staticText(source);
      if (text === undefined) context.report({ node, messageId: "computed", data: { what } });
      else check(node, text, typeOnly);
    }

    const typeOnlyImport = (node) =>
      node.importKind === "type" ||
      (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === "type"));

    return {
      ImportDeclaration(node) {
        check(node, node.source.value, typeOnlyImport(node));
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, node.source.value, node.exportKind === "type");
      },
      ExportAllDeclaration(node) {
        check(node, node.source.value, node.exportKind === "type");
      },
      ImportExpression(node) {
        checkSource(node, node.source, false, "import()");
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type === "Identifier" && callee.name === "require" && node.arguments.length > 0) {
          checkSource(node, node.arguments[0], false, "require()");
        }
      },
      TSImportEqualsDeclaration(node) {
        const ref = node.moduleReference;
        if (ref.type === "TSExternalModuleReference")
          checkSource(node, ref.expression, node.importKind === "type", "require()");
      },
      TSImportType(node) {
        // `import("x").T` in a type: typescript-eslint 8 keeps the path in `argument` (a literal type).
        const arg = node.argument && node.argument.type === "TSLiteralType" ? node.argument.literal : node.argument;
        const text = staticText(arg);
        if (text !== undefined) check(node, text, true);
      },
    };
  },
};

module.exports = { rules: { boundaries: rule } };
