// The one Node module the SDK imports, declared here because no @types/node
// is available offline (Debian packages none).
declare module "node:crypto" {
  export function randomUUID(): string;
}
