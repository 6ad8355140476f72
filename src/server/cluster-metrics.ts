import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import { isMessage } from './cluster-messages.ts';

/**
 * /metrics with several workers (WEB_CONCURRENCY): a scrape lands on one worker, but must report the whole
 * server, as one process does. The worker answering the scrape asks the primary, which collects every serving
 * worker's registry over the cluster IPC channel and sums them with prom-client's `AggregatorRegistry.aggregate`.
 *
 * The primary does the collecting itself rather than with prom-client's `clusterMetrics()`, which asks every
 * forked worker and waits up to 5 s for each: a scrape at the moment a worker died then failed after 5 s (or,
 * when its message hit the closed channel, the unhandled write error ended the primary), and one during a
 * replacement's boot waited 1-2 s for the new process to load. Here a worker is asked once it listens; one that
 * exits or cannot be written to is left out of the sum (its counts died with it, as they do for a lone process);
 * one alive that does not answer in time fails the scrape, so a sum never silently misses a live worker.
 */
const REQUEST = 'vedetta:metrics-request';
const ANSWER = 'vedetta:metrics';
const COLLECT = 'vedetta:metrics-collect';
const COLLECTED = 'vedetta:metrics-collected';

/** How long the primary waits for a live worker's registry. */
const WORKER_TIMEOUT_MS = 5_000;
/** Longer than the primary's wait, so the primary's answer (even an error) comes first. */
const ANSWER_TIMEOUT_MS = 8_000;

type Answer = { type: typeof ANSWER; id: number; text?: string; error?: string };
type Metrics = MetricObjectWithValues<MetricValue<string>>[];
type Collected = { type: typeof COLLECTED; id: number; metrics: Metrics };

/** Primary: answers each worker's request with the metrics of the workers that listen (`listening`), summed. */
export function sumWorkerMetricsOnRequest(listening: () => Worker[]) {
  // Registries asked of a worker and not received yet, by request id.
  const waiting = new Map<number, { worker: Worker; settle: (metrics: Metrics | 'gone') => void }>();
  let nextId = 0;

  const collectFrom = (worker: Worker) =>
    new Promise<Metrics | 'gone'>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`worker ${worker.id} did not answer in ${WORKER_TIMEOUT_MS} ms`));
      }, WORKER_TIMEOUT_MS);
      const settle = (metrics: Metrics | 'gone') => {
        waiting.delete(id);
        clearTimeout(timer);
        resolve(metrics);
      };
      waiting.set(id, { worker, settle });
      worker.send({ type: COLLECT, id }, (error: Error | null) => {
        if (error) settle('gone');
      });
    });

  const sum = async () => {
    const collected = await Promise.all(listening().map(collectFrom));
    return AggregatorRegistry.aggregate(collected.filter((metrics) => metrics !== 'gone')).metrics();
  };

  const reply = (worker: Worker, answer: Answer) => {
    // The asking worker may have died meanwhile: nobody is left to answer.
    if (worker.isConnected()) worker.send(answer, () => {});
  };

  cluster.on('message', (worker, message: { id: number }) => {
    if (isMessage(message, COLLECTED)) waiting.get(message.id)?.settle((message as Collected).metrics);
    else if (isMessage(message, REQUEST)) {
      sum().then(
        (text) => reply(worker, { type: ANSWER, id: message.id, text }),
        (error: Error) => reply(worker, { type: ANSWER, id: message.id, error: error.message }),
      );
    }
  });
  // Its counts died with it: the scrapes waiting for its registry go on without it.
  const leave = (worker: Worker) => {
    for (const request of waiting.values()) if (request.worker === worker) request.settle('gone');
  };
  cluster.on('disconnect', leave);
  cluster.on('exit', leave);
}

/**
 * Worker: hands `registry` to the primary when asked, and returns how this process reads the sum over every
 * worker (src/app/metrics.ts calls it for /metrics).
 */
export function shareMetricsWithPrimary(registry: Registry): () => Promise<string> {
  const waiting = new Map<number, (answer: Answer) => void>();
  let nextId = 0;
  process.on('message', (message: Answer | { type: string; id: number }) => {
    if (isMessage(message, ANSWER)) waiting.get(message.id)?.(message as Answer);
    else if (isMessage(message, COLLECT)) {
      // A registry that cannot be read sends nothing: the primary's wait for this worker then fails the scrape.
      registry.getMetricsAsJSON().then(
        (metrics) => process.send!({ type: COLLECTED, id: message.id, metrics } satisfies Collected, () => {}),
        () => {},
      );
    }
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
