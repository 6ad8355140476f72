export * from './services.ts';
export * from './incidents.ts';
export * from './notices.ts';
export * from './maintenance.ts';
export * from './audit.ts';
export * from './access.ts';
export * from './events.ts';
