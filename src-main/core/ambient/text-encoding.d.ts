// The one platform API core uses: WHATWG TextEncoder/TextDecoder, present in
// every runtime core runs in (Node, Electron's renderer, browsers, workers).
// Declared here, and only for core's own tsconfig, so that core compiles with
// no DOM lib and no node types: anything else platform-specific fails to compile.
// (The root tsconfig excludes this folder: its DOM lib declares the real ones.)
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
