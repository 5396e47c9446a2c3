/**
 * The REST face of the Open Inference Protocol v2 on uWebSockets.js. It parses,
 * calls the inference service and encodes; it never batches or routes.
 */
import { performance } from 'node:perf_hooks';
import { asSwitchyardError, SwitchyardError } from '../../runtime/errors.js';
import type { InferenceService } from '../inference/types.js';
import { applyRoutingHeaders, PIN_HEADER } from '../inference/routing-headers.js';
import { parseFeedback } from '../inference/feedback.js';
import { readBody } from './body.js';
import { binaryAlignmentLead, decodeInferBody, encodeInferResponse, parseJsonBody, type DecodedHttpInfer } from './infer-codec.js';
import { send, sendError, sendInferAnswer, sendJson, type Reply } from './response.js';
import { createApp, us_listen_socket_close, us_socket_local_port, type App, type HttpRequest, type HttpResponse, type us_listen_socket } from './uws.js';

/** The routes above and their methods, to tell a wrong method (405) from an unknown path (404). */
const ROUTES: Array<[RegExp, string]> = [
  [/^\/v2\/health\/(live|ready)$/, 'GET'],
  [/^\/v2$/, 'GET'],
  [/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?(\/ready)?$/, 'GET'],
  [/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/, 'POST'],
  [/^\/v2\/models\/[^/]+\/feedback$/, 'POST'],
  [/^\/v2\/repository\/index$/, 'GET, POST'],
];

interface RequestHeaders {
  headerLength: string;
  pinned: string;
  stickyKey: string;
}

export interface HttpTransportOptions {
  service: InferenceService;
  maxBodyBytes: number;
}

export class HttpTransport {
  private readonly app: App;
  private listenSocket: us_listen_socket | undefined;
  private inflight = 0;
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(private readonly options: HttpTransportOptions) {
    const app = createApp();
    const { service } = options;
    app.get('/v2/health/live', (res) => sendStatus(res, service.isLive(), 'server is not live'));
    app.get('/v2/health/ready', (res) => sendStatus(res, service.isReady(), 'server is not ready'));
    app.get('/v2', (res) => sendJson(res, { aborted: false }, 200, service.serverMetadata()));
    app.get('/v2/models/:model', (res, req) => this.metadata(res, req, false));
    app.get('/v2/models/:model/versions/:version', (res, req) => this.metadata(res, req, true));
    app.get('/v2/models/:model/ready', (res, req) => this.modelReady(res, req, false));
    app.get('/v2/models/:model/versions/:version/ready', (res, req) => this.modelReady(res, req, true));
    app.post('/v2/models/:model/infer', (res, req) => this.infer(res, req, false));
    app.post('/v2/models/:model/versions/:version/infer', (res, req) => this.infer(res, req, true));
    app.post('/v2/models/:model/feedback', (res, req) => this.feedback(res, req));
    app.post('/v2/repository/index', (res) => this.repositoryIndex(res));
    app.get('/v2/repository/index', (res) => this.repositoryIndex(res));
    app.any('/*', (res, req) => {
      const method = req.getMethod().toUpperCase();
      const url = req.getUrl();
      const allow = ROUTES.find(([pattern]) => pattern.test(url))?.[1];
      if (allow) sendError(res, { aborted: false }, new SwitchyardError('SY_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${url}; use ${allow}`), { Allow: allow });
      else sendError(res, { aborted: false }, new SwitchyardError('SY_ERR_ROUTE_NOT_FOUND', `no route for ${method} ${url}; see the Open Inference Protocol v2 endpoints under /v2`));
    });
    this.app = app;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) return reject(new Error(`HTTP: cannot listen on ${host}:${port}`));
        this.listenSocket = socket;
        resolve(us_socket_local_port(socket as never));
      });
    });
  }

  /** Stops accepting connections, waits for in-flight inferences to be answered, then closes every connection. */
  async close(): Promise<void> {
    this.stopListening();
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.closeSockets();
  }

  /** At once: the listening socket and every connection. uWS's sockets must not outlive the thread that made them. */
  closeSockets(): void {
    this.stopListening();
    if (this.closed) return;
    this.closed = true;
    this.app.close();
  }

  private stopListening(): void {
    if (this.listenSocket) us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }

  private metadata(res: HttpResponse, req: HttpRequest, withVersion: boolean): void {
    const reply = { aborted: false };
    try {
      const [model, version] = routeParams(req, withVersion);
      sendJson(res, reply, 200, this.options.service.modelMetadata(model, version));
    } catch (err) {
      sendError(res, reply, asSwitchyardError(err));
    }
  }

  private modelReady(res: HttpResponse, req: HttpRequest, withVersion: boolean): void {
    try {
      const [model, version] = routeParams(req, withVersion);
      sendStatus(res, this.options.service.isModelReady(model, version), `model '${model}' is not ready`);
    } catch (err) {
      sendError(res, { aborted: false }, asSwitchyardError(err));
    }
  }

  private repositoryIndex(res: HttpResponse): void {
    // The optional {"ready": true} body only filters; every entry here is listed with its state.
    res.onAborted(() => {});
    res.onData(() => {});
    sendJson(res, { aborted: false }, 200, this.options.service.repositoryIndex());
  }

  private feedback(res: HttpResponse, req: HttpRequest): void {
    const reply: Reply = { aborted: false };
    res.onAborted(() => (reply.aborted = true));
    let model: string;
    try {
      [model] = routeParams(req, false);
    } catch (err) {
      return sendError(res, reply, asSwitchyardError(err));
    }
    readBody(
      res,
      req.getHeader('content-length'),
      this.options.maxBodyBytes,
      0,
      (body) => {
        try {
          const items = parseFeedback(parseJsonBody(body));
          this.options.service.feedback(model, items);
          sendJson(res, reply, 200, { accepted: items.length });
        } catch (err) {
          sendError(res, reply, asSwitchyardError(err));
        }
      },
      (err, close) => sendError(res, reply, err, {}, close),
    );
  }

  private infer(res: HttpResponse, req: HttpRequest, withVersion: boolean): void {
    const started = performance.now();
    const reply: Reply = { aborted: false };
    let reading = false;
    res.onAborted(() => {
      reply.aborted = true;
      // A client gone mid-body never reaches done/fail: release its slot here, or a drain would wait for it forever.
      if (reading) {
        reading = false;
        this.end();
      }
    });
    let model = '';
    let version: string | undefined;
    try {
      [model, version] = routeParams(req, withVersion);
    } catch (err) {
      return this.fail(res, reply, '', started, asSwitchyardError(err));
    }
    // Headers must be read before the handler returns: uWS reuses the request object.
    const headers: RequestHeaders = {
      headerLength: req.getHeader('inference-header-content-length'),
      pinned: req.getHeader(PIN_HEADER),
      stickyKey: req.getHeader(this.options.service.stickyHeader(model)),
    };
    this.begin();
    reading = true;
    readBody(
      res,
      req.getHeader('content-length'),
      this.options.maxBodyBytes,
      binaryAlignmentLead(headers.headerLength),
      (body) => {
        reading = false;
        this.answer(res, reply, body, headers, model, version, started);
      },
      (err, close) => {
        reading = false;
        this.fail(res, reply, model, started, err, close);
        this.end();
      },
    );
  }

  private answer(res: HttpResponse, reply: Reply, body: Buffer, headers: RequestHeaders, model: string, version: string | undefined, started: number): void {
    let decoded: DecodedHttpInfer;
    try {
      decoded = decodeInferBody(body, headers.headerLength, model, version);
      applyRoutingHeaders(decoded.request, headers.pinned, headers.stickyKey);
    } catch (err) {
      this.fail(res, reply, model, started, asSwitchyardError(err));
      this.end();
      return;
    }
    this.options.service.infer(decoded.request).then(
      (response) => {
        sendInferAnswer(res, reply, response.model_version, response.role, encodeInferResponse(response, decoded));
        this.end();
      },
      (err: unknown) => {
        sendError(res, reply, asSwitchyardError(err));
        this.end();
      },
    );
  }

  /** A request refused before it reached the service is still counted. */
  private fail(res: HttpResponse, reply: Reply, model: string, started: number, err: SwitchyardError, close = false): void {
    this.options.service.recordRefused('http', model, err, (performance.now() - started) / 1000);
    sendError(res, reply, err, {}, close);
  }

  private begin(): void {
    this.inflight++;
  }

  private end(): void {
    this.inflight--;
    if (this.inflight === 0 && this.idle) {
      this.idle();
      this.idle = undefined;
    }
  }
}

function routeParams(req: HttpRequest, withVersion: boolean): [string, string | undefined] {
  try {
    const model = decodeURIComponent(req.getParameter(0));
    return [model, withVersion ? decodeURIComponent(req.getParameter(1)) : undefined];
  } catch {
    throw new SwitchyardError('SY_ERR_INVALID_REQUEST', 'model name or version in the URL is not valid percent-encoding');
  }
}

function sendStatus(res: HttpResponse, ok: boolean, reason: string): void {
  if (ok) send(res, { aborted: false }, 200, '');
  else sendError(res, { aborted: false }, new SwitchyardError('SY_ERR_MODEL_NOT_READY', reason));
}
