/**
 * The single place uWebSockets.js is imported from. It is not published on npm
 * under its own name; this build (uWS v20.30, Apache-2.0) loads on Debian 12's
 * glibc. To use another build, change this module and nothing else.
 */
import uws, { type TemplatedApp } from '@trufflesuite/uws-js-unofficial';

export type { HttpRequest, HttpResponse, us_listen_socket } from '@trufflesuite/uws-js-unofficial';

/** `close()` (drop every connection) exists in v20.30 but is missing from its type definitions. */
export interface App extends TemplatedApp {
  close(): void;
}

export function createApp(): App {
  return uws.App() as App;
}

export const { us_listen_socket_close, us_socket_local_port } = uws;
