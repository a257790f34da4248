// The page (web/view.ts) and the daemon (src/render/web-view.ts) declare what the page is sent
// each on its own side of the build; `npm run typecheck` fails here when the two drift apart.
import { describe, expect, it } from 'vitest';
import type { GraphLayout } from '../../src/render/guest-graph.js';
import type { ShutdownTimeline } from '../../src/render/shutdown-timeline.js';
import type * as Daemon from '../../src/render/web-view.js';
import type * as Page from '../../web/view.js';

/** Compiles only when A and B are assignable to each other. */
function same<A, B>(_toPage: (a: A) => B, _toDaemon: (b: B) => A): boolean {
  return true;
}

describe('the page and the daemon', () => {
  it('agree on every part the page is sent', () => {
    expect(same<Daemon.StatusPart, Page.StatusPart>((a) => a, (b) => b)).toBe(true);
    expect(same<GraphLayout, Page.GraphPart>((a) => a, (b) => b)).toBe(true);
    expect(same<ShutdownTimeline, Page.Timeline>((a) => a, (b) => b)).toBe(true);
    expect(same<Daemon.ShutdownPart, Page.ShutdownPart>((a) => a, (b) => b)).toBe(true);
    expect(same<Daemon.EventsPart, Page.EventsPart>((a) => a, (b) => b)).toBe(true);
    expect(same<Daemon.WhyPart, Page.WhyPart>((a) => a, (b) => b)).toBe(true);
  });
});
