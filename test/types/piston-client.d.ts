/** piston-client ships no types: the part the tests use. */
declare module 'piston-client' {
  export function piston(opts?: { server?: string }): unknown;
}
