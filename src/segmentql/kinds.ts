// Static kinds: what the compiler knows about an expression's value type before evaluation. They
// matter where JavaScript cannot tell qlbridge's types apart (an integral float is still a number;
// a map's value type) and they let the code generator pick fast paths.

import type { Expr } from "./ast.ts";
import { accessType, fieldAccessForName } from "./fields.ts";
import { lookupFunction } from "./functions/index.ts";
import type { FieldTypes } from "./schema.ts";
import type { Kind } from "./values.ts";

export function staticKind(expr: Expr, types: FieldTypes | undefined): Kind | undefined {
  switch (expr.type) {
    case "String":
      return "string";
    case "Number":
      return expr.isInt ? "int" : "number";
    case "Bool":
      return "bool";
    case "Null":
      return "nil";
    case "Array":
    case "List":
      return "[]value";
    case "Ident":
      return accessType(fieldAccessForName(expr.name, expr.parts, types));
    case "Star":
      return accessType(fieldAccessForName(expr.text, undefined, types));
    case "Func":
      return lookupFunction(expr.name)?.returns;
    case "Negate":
      return "number";
    case "Binary": {
      if (
        expr.op !== "+" &&
        expr.op !== "-" &&
        expr.op !== "*" &&
        expr.op !== "/" &&
        expr.op !== "%"
      ) {
        return undefined;
      }
      const l = staticKind(expr.left, types);
      const r = staticKind(expr.right, types);
      if (l === "int" && r === "int") return "int";
      if (l === "number" || (l === "int" && r === "number")) return "number";
      return undefined;
    }
    default:
      return undefined;
  }
}
