import { jest } from '@jest/globals';

// Jest reads testTimeout globally only; each slow project sets its own here.
jest.setTimeout(120000);
