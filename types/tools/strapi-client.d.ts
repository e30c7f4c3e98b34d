// @strapi/client declares its types through package "exports", which the CommonJS "Node" module
// resolution of this project does not read; point it at the same file.
declare module '@strapi/client' {
  export * from '@strapi/client/dist/exports';
}
