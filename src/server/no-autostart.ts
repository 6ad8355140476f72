/**
 * Imported before `@astrojs/node/server.js`: that module starts its own standalone HTTP server when it is
 * evaluated unless this variable says not to. src/server/entry.ts runs the server instead (same handler,
 * with the public cache answered in front of it).
 */
process.env.ASTRO_NODE_AUTOSTART = 'disabled';
