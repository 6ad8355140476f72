import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../src/server/node-version.ts';

describe('nodeVersionProblem', () => {
  it('accepts the major version package.json asks for, and later ones', () => {
    expect(nodeVersionProblem('v24.0.0', '>=24')).toBeNull();
    expect(nodeVersionProblem('v24.21.0', '>=24')).toBeNull();
    expect(nodeVersionProblem('v26.1.0', '>=24')).toBeNull();
  });

  it('refuses an older one, naming both versions and how to start the server instead', () => {
    const problem = nodeVersionProblem('v20.20.2', '>=24');
    expect(problem).toContain('Node.js >=24');
    expect(problem).toContain('this is v20.20.2');
    expect(problem).toContain('npm start');
    expect(nodeVersionProblem('v23.11.0', '>=24')).not.toBeNull();
  });
});
