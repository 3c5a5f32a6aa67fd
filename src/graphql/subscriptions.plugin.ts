import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import type { Gauge } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthError } from '../auth/auth.error';
import type { Authenticator } from '../auth/authenticator';
import { callerKey, type Caller } from '../auth/caller';
import { OpenCounts } from '../guard/open-counts';
import type { TrustedDocuments } from './trusted-documents';
import type { EventSource, GraphQLContext } from './context';
import { hardenedError, withoutEchoes } from './errors';
import { operationProtection } from './operation-limits';

/** Largest message a client may send: a subscription with 100 session numbers is a few KB. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Largest message before the caller is known: `connection_init` with a token (at most 8 KB) fits. */
const MAX_UNAUTHENTICATED_BYTES = 16 * 1024;
/** Sockets whose caller is not known yet, at most, on this instance: past it an upgrade gets 503. */
const MAX_UNAUTHENTICATED_SOCKETS = 1000;
/** Closes a socket whose caller already holds its most (one socket can carry every subscription it may hold). */
const TOO_MANY_SOCKETS = 4429;
/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A socket that has not sent `connection_init` by then is closed (4408). */
const CONNECTION_INIT_WAIT_MS = 3000;
/** Between pings on an open socket; one without a pong by the next is dropped. Proxies drop idle sockets at 30 to 60 s. */
const KEEP_ALIVE_MS = 12_000;

/** How the WebSocket endpoint is served. */
export interface SubscriptionsOptions {
  schema: GraphQLSchema;
  authenticator: Authenticator;
  introspection: boolean;
  /** Unexpected errors reach clients as a generic message. */
  maskErrors: boolean;
  /** Sockets one caller may hold open at once (SUBSCRIPTIONS_PER_CALLER: each can carry them all). */
  socketsPerCaller: number;
  /** Each subscription field's event source, as the features built them: every subscriber's context carries them. */
  subscriptions: Readonly<Record<string, EventSource>>;
  /** Open sockets by state (`unauthenticated`, `authenticated`), kept equal to the counts that bound them. */
  socketsGauge?: Gauge<'state'>;
  /** The documents the apps run (TRUSTED_DOCUMENTS), or null: a subscribe payload names or holds one as a POST does. */
  trusted?: TrustedDocuments | null;
}

/**
 * Where a socket stands in the counts: counted among those whose caller is not known yet, counted
 * against its caller's sockets, or counted nowhere any more (closed). Each step is taken once, so a
 * close and a token check can finish in either order and no count drifts.
 */
type SocketSlot = 'unauthenticated' | 'caller' | 'released';

/** What graphql-ws keeps per socket: the upgrade, its logger, and the caller once authenticated. */
interface SocketExtra extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  request: IncomingMessage;
  log: FastifyBaseLogger;
  requestId: string;
  caller?: Caller;
  /** Which count holds this socket now. */
  slot: SocketSlot;
  /** Closes the socket when its caller's token expires. */
  expiry?: NodeJS.Timeout;
}

/** The close code for a refused caller: 4401 without valid credentials, 4403 without the scope, 1013 (try again later) when they cannot be checked. */
const CLOSE_FOR: Record<AuthError['code'], number> = {
  UNAUTHENTICATED: CloseCode.Unauthorized,
  FORBIDDEN: CloseCode.Forbidden,
  SERVICE_UNAVAILABLE: 1013,
};

/** `connection_init`'s credentials, under the HTTP header's name (either case), else the upgrade's `Authorization` header. */
function credentialsOf(params: Readonly<Record<string, unknown>> | undefined, request: IncomingMessage): string | undefined {
  const given = params?.authorization ?? params?.Authorization;
  return typeof given === 'string' ? given : request.headers.authorization;
}

/** Refuses an upgrade with an HTTP status; no socket is made. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * GraphQL over WebSocket (`graphql-transport-ws`, graphql-ws's protocol) on `/graphql`, for
 * subscriptions only; queries and mutations stay on HTTP with their limits. The upgrade's Origin must
 * pass CORS; the caller is authenticated from `connection_init` before anything else is read; every
 * operation gets the HTTP endpoint's parse and validation limits.
 */
export const subscriptionsPlugin = fp<SubscriptionsOptions>(
  async (app, { schema, authenticator, introspection, maskErrors, socketsPerCaller, socketsGauge, subscriptions, trusted }) => {
    /** Open sockets by caller, and those whose caller is not known yet: one caller cannot hold the instance's sockets. */
    const perCaller = new OpenCounts();
    let unauthenticated = 0;
    let authenticated = 0;
    const report = () => {
      socketsGauge?.set({ state: 'unauthenticated' }, unauthenticated);
      socketsGauge?.set({ state: 'authenticated' }, authenticated);
    };
    report();
    /** Moves a socket to its next slot; the only place the counts change. */
    const move = (extra: SocketExtra, to: 'caller' | 'released') => {
      if (extra.slot === 'unauthenticated') unauthenticated -= 1;
      else if (extra.slot === 'caller') {
        authenticated -= 1;
        perCaller.giveBack(callerKey(extra.caller!));
      }
      if (to === 'caller') authenticated += 1;
      extra.slot = to;
      report();
    };
    const protection = operationProtection();
    const rules = [...specifiedRules, ...protection.validationRules, ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])];
    // A hardened server, or one without introspection, names nothing of the schema it was not asked
    // about (as Apollo's hideSchemaDetailsFromClientErrors) and echoes no value.
    const refuse = (errors: readonly GraphQLError[]) =>
      maskErrors || !introspection ? errors.map((error) => new GraphQLError(withoutEchoes(error.message), { nodes: error.nodes })) : errors;

    const server = makeServer<Record<string, unknown> | undefined, SocketExtra>({
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
      onConnect: async (ctx) => {
        const { extra } = ctx;
        try {
          const caller = await authenticator.authenticate(credentialsOf(ctx.connectionParams, extra.request));
          // Closed while its token was being checked: its count is given back already, and nothing is taken.
          if (extra.slot !== 'unauthenticated') return false;
          const key = callerKey(caller);
          if (!perCaller.take(key, socketsPerCaller)) {
            const open = perCaller.held(key);
            extra.log.info({ ws: { refused: 'sockets-per-caller', open } }, 'socket refused');
            extra.socket.close(TOO_MANY_SOCKETS, `This caller already holds ${open} sockets (SUBSCRIPTIONS_PER_CALLER).`);
            return false;
          }
          extra.caller = caller;
          move(extra, 'caller');
          // A token's end is the socket's: an expired or short-lived token keeps following nothing.
          if (caller.expiresAt !== undefined) {
            // setTimeout takes at most 2^31 - 1 ms (about 24 days); a longer token's socket is closed then.
            const ms = Math.min(caller.expiresAt - Date.now(), MAX_TIMER_MS);
            extra.expiry = setTimeout(() => extra.socket.close(CloseCode.Unauthorized, 'The token expired.'), ms).unref();
          }
          return true;
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          extra.log.info({ auth: { result: error.code, reason: error.reason }, ws: true }, 'socket refused');
          extra.socket.close(CLOSE_FOR[error.code], error.message.slice(0, 120));
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        let query = payload.query;
        if (trusted) {
          const decision = trusted.decide(payload);
          if (!decision.ok) return [new GraphQLError(decision.message, { extensions: { code: decision.code } })];
          if (decision.changed) query = decision.query!;
        }
        let document: DocumentNode;
        try {
          document = parse(query, protection.parseOptions);
        } catch (error) {
          return refuse([error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed.')]);
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return refuse(errors);
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Name the operation to run (operationName).')];
        if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [new GraphQLError('Only subscriptions are served over WebSocket: send queries and mutations to POST /graphql.')];
        }
        const { log, caller, requestId } = ctx.extra;
        const contextValue: GraphQLContext = { log, caller: caller!, requestId, subscriptions };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      onNext: (ctx, _id, _payload, _args, result) => formatResult(ctx, result, maskErrors),
      onError: (ctx, _id, _payload, errors) => {
        ctx.extra.log.info({ ws: true, errors: errors.length }, 'subscription refused');
      },
    });

    const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols });
    let closing = false;

    sockets.on('connection', (socket: WebSocket, request: IncomingMessage) => {
      unauthenticated += 1;
      report();
      const requestId = randomUUID();
      const log = app.log.child({ reqId: requestId, ws: true });
      // ws closes a socket that breaks the protocol (1002) or sends too much (1009) itself; it is logged, not thrown.
      socket.on('error', (error) => log.info({ ws: { error: error.message } }, 'socket error'));
      let pongWait: NodeJS.Timeout | undefined;
      const keepAlive = setInterval(() => {
        if (socket.readyState !== socket.OPEN) return;
        pongWait ??= setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
        socket.ping();
      }, KEEP_ALIVE_MS);
      socket.on('pong', () => {
        clearTimeout(pongWait);
        pongWait = undefined;
      });
      const extra: SocketExtra = { socket, request, log, requestId, slot: 'unauthenticated' };
      const closed = server.opened(
        {
          protocol: socket.protocol,
          send: (data) =>
            new Promise((resolve, reject) => {
              if (socket.readyState !== socket.OPEN) return resolve();
              socket.send(data, (error) => (error ? reject(error) : resolve()));
            }),
          close: (code, reason) => socket.close(code, reason),
          onMessage: (handle) =>
            socket.on('message', (data: Buffer, isBinary: boolean) => {
              // Nothing much is read for a caller not yet known: a token fits in far less.
              if (!extra.caller && data.length > MAX_UNAUTHENTICATED_BYTES) return socket.close(1009, 'Message too big');
              // graphql-ws speaks text frames; a binary one is read as the same UTF-8.
              void handle(data.toString('utf8')).catch((error: unknown) => {
                log.error({ err: error, binary: isBinary }, 'subscription message failed unexpectedly');
                socket.close(CloseCode.InternalServerError, 'Internal server error');
              });
            }),
        },
        extra,
      );
      socket.once('close', (code, reason) => {
        clearTimeout(extra.expiry);
        move(extra, 'released');
        clearInterval(keepAlive);
        clearTimeout(pongWait);
        log.info({ ws: { code } }, 'socket closed');
        void closed(code, String(reason));
      });
    });

    app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const log = app.log.child({ ws: true });
      if (new URL(request.url ?? '/', 'http://x').pathname !== '/graphql') return refuseUpgrade(socket, 404, 'Not Found');
      if (closing || unauthenticated >= MAX_UNAUTHENTICATED_SOCKETS) return refuseUpgrade(socket, 503, 'Service Unavailable');
      // A page on another site must not follow anyone's sessions from a visitor's browser.
      const origin = request.headers.origin;
      if (origin !== undefined && !app.originAllowed(origin, request.headers.host, log)) return refuseUpgrade(socket, 403, 'Forbidden');
      sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
    });

    // Before the server waits for its connections: a socket stays open until closed, and clients
    // reconnect elsewhere on 1001. Subscriptions carry no sends, so none is cut.
    app.addHook('preClose', async () => {
      closing = true;
      for (const socket of sockets.clients) socket.close(1001, 'Going away');
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    });
  },
  { name: 'subscriptions', dependencies: ['cors'] },
);

/** A subscription's event as the client gets it: unexpected errors logged, and masked when the server is hardened. */
function formatResult(ctx: Context<Record<string, unknown> | undefined, SocketExtra>, result: ExecutionResult, mask: boolean) {
  if (!result.errors) return;
  const errors: GraphQLFormattedError[] = result.errors.map((error) => {
    const unexpected = error.originalError && !(error.originalError instanceof GraphQLError);
    if (unexpected) ctx.extra.log.error({ err: error.originalError, path: error.path }, 'unexpected error in a subscription');
    const formatted = unexpected ? { ...error.toJSON(), extensions: { code: 'INTERNAL_SERVER_ERROR' } } : error.toJSON();
    return mask ? hardenedError(formatted, error) : formatted;
  });
  return { ...result, errors };
}
