import { describe, expect, it } from '@jest/globals';
import { parseConfig, ConfigError } from '../../../lib/config/index.ts';

const valid = {
  STAGE: 'local',
  TABLE_NAME: 't',
  MEDIA_BUCKET: 'b',
  JOB_EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:x',
  USER_POOL_ID: 'p',
  USER_POOL_CLIENT_ID: 'c',
};

describe('config', () => {
  it('parses a valid environment with defaults', () => {
    const c = parseConfig(valid);
    expect(c.AWS_REGION).toBe('us-east-1');
    expect(c.DOWNLOAD_ALLOW_HOSTS).toEqual([]);
  });
  it('names the missing variable', () => {
    const { TABLE_NAME: _omit, ...rest } = valid;
    expect(() => parseConfig(rest)).toThrow(ConfigError);
    expect(() => parseConfig(rest)).toThrow(/TABLE_NAME/);
  });
  it('splits the download allow-list', () => {
    expect(parseConfig({ ...valid, DOWNLOAD_ALLOW_HOSTS: '127.0.0.1:8123, localhost:9' }).DOWNLOAD_ALLOW_HOSTS).toEqual(['127.0.0.1:8123', 'localhost:9']);
  });
  it('refuses local emulator endpoints outside the local stage', () => {
    expect(() => parseConfig({ ...valid, STAGE: 'prod', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toThrow(/only allowed on the local stage/);
  });
});
