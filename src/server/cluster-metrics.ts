import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isMessage } from './cluster-messages.ts';

/**
 * /metrics with several workers (WEB_CONCURRENCY): a scrape lands on one worker, but must report the whole
 * server, as one process does. prom-client's AggregatorRegistry does the summing in the primary (it asks every
 * worker for its registry over the cluster IPC channel, with its own messages); the worker answering the scrape
 * asks the primary for that sum with the two messages below.
 */
const REQUEST = 'vedetta:metrics-request';
const ANSWER = 'vedetta:metrics';

/** Longer than prom-client's own 5 s wait for the workers, so the primary's answer (even an error) comes first. */
const ANSWER_TIMEOUT_MS = 8_000;

type Answer = { type: typeof ANSWER; id: number; text?: string; error?: string };

/** Primary: answers each worker's request with the metrics of every worker, summed. */
export function sumWorkerMetricsOnRequest() {
  const aggregator = new AggregatorRegistry();
  const reply = (worker: Worker, answer: Answer) => {
    // The asking worker may have died meanwhile: nobody is left to answer.
    if (worker.isConnected()) worker.send(answer, () => {});
  };
  cluster.on('message', (worker, message: { id: number }) => {
    if (!isMessage(message, REQUEST)) return;
    aggregator.clusterMetrics().then(
      (text) => reply(worker, { type: ANSWER, id: message.id, text }),
      (error: Error) => reply(worker, { type: ANSWER, id: message.id, error: error.message }),
    );
  });
}

/**
 * Worker: lets the primary read this process's `registry`, and returns how this process reads the sum over
 * every worker. Called before the app boots, so a booting worker already answers the primary (with what it has
 * counted so far) instead of stalling everyone's scrape until prom-client gives up on it.
 */
export function shareMetricsWithPrimary(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries(registry);
  // prom-client installs its worker-side listener (answering the primary's requests) when one is constructed.
  new AggregatorRegistry();
  const waiting = new Map<number, (answer: Answer) => void>();
  let nextId = 0;
  process.on('message', (message: Answer) => {
    if (isMessage(message, ANSWER)) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const settle = (answer: Answer) => {
        waiting.delete(id);
        clearTimeout(timer);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(`the workers' metrics could not be summed: ${answer.error}`));
      };
      const timer = setTimeout(() => settle({ type: ANSWER, id, error: 'the cluster primary did not answer' }), ANSWER_TIMEOUT_MS);
      waiting.set(id, settle);
      process.send!({ type: REQUEST, id }, (error: Error | null) => {
        if (error) settle({ type: ANSWER, id, error: error.message });
      });
    });
}
