/**
 * Modules that plug into the delivery worker register themselves when imported (see registry.ts). Whoever
 * starts a worker imports this file, so every process runs the same set of handlers.
 */
import '../webhooks/index.ts';
