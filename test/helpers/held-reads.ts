import type { IncomingMessage, ServerResponse } from 'node:http';
import { startRangeServer, type RangeServer } from './http-range-server.js';

/** A request the range server holds without answering. */
export interface HeldRead {
  req: IncomingMessage;
  res: ServerResponse;
  /** The client dropped the connection (its read was aborted). */
  closed: boolean;
}

export interface HoldingRangeServer extends RangeServer {
  /** Requests held since `hold()`, in order. */
  held: HeldRead[];
  /** From now on, hold every request. */
  hold(): void;
  /** Stops holding and answers the held requests (their clients may still be waiting). */
  release(): Promise<void>;
}

/**
 * The range server (http-range-server.ts) with a switch that holds requests unanswered: a client
 * reading from it sits in its upstream read for as long as a test wants, without timing.
 */
export async function startHoldingRangeServer(root: string): Promise<HoldingRangeServer> {
  const held: HeldRead[] = [];
  let holding = false;
  const server = await startRangeServer(root, {
    onRequest(req, res) {
      if (!holding) return false;
      const read: HeldRead = { req, res, closed: false };
      res.on('close', () => (read.closed = true));
      held.push(read);
      return true;
    },
  });
  return {
    ...server,
    held,
    hold: () => {
      holding = true;
    },
    async release() {
      holding = false;
      for (const { req, res, closed } of held.splice(0)) {
        if (closed) continue;
        // answered by the same server, which no longer holds
        const upstream = await fetch(server.url + req.url, { headers: req.headers.range ? { range: req.headers.range } : {} });
        res.writeHead(upstream.status, Object.fromEntries(upstream.headers)).end(Buffer.from(await upstream.arrayBuffer()));
      }
    },
  };
}
