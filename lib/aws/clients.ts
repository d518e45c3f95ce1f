import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { config, isLocalStage, type Config } from '../config/index.ts';

/**
 * The one place that knows about local endpoints. On the local stage every client points at its
 * emulator (DynamoDB Local, fauxqs, cognito-local, serverless-offline) with dummy credentials; on
 * AWS stages the SDK's default endpoint and credential chain are used.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function base(c: Config, endpoint: string | undefined) {
  if (!isLocalStage(c) || !endpoint) return { region: c.AWS_REGION };
  return { region: c.AWS_REGION, endpoint, credentials: LOCAL_CREDENTIALS };
}

const memo = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}

export const dynamo = (c: Config = config()) =>
  once('dynamo', () => new DynamoDBClient(base(c, c.DYNAMODB_ENDPOINT)));

export const documentClient = (c: Config = config()) =>
  once('doc', () =>
    DynamoDBDocumentClient.from(dynamo(c), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
  );

export const sns = (c: Config = config()) => once('sns', () => new SNSClient(base(c, c.FAUXQS_ENDPOINT)));
export const sqs = (c: Config = config()) => once('sqs', () => new SQSClient(base(c, c.FAUXQS_ENDPOINT)));
export const s3 = (c: Config = config()) =>
  once('s3', () => new S3Client({ ...base(c, c.FAUXQS_ENDPOINT), forcePathStyle: isLocalStage(c) }));
export const cognito = (c: Config = config()) =>
  once('cognito', () => new CognitoIdentityProviderClient(base(c, c.COGNITO_ENDPOINT)));

/** WebSocket management API; the endpoint comes from config (locally serverless-offline :3001). */
export const websocketManagement = (c: Config = config()) =>
  once('ws', () => {
    if (!c.WEBSOCKET_API_ENDPOINT) throw new Error('WEBSOCKET_API_ENDPOINT is not configured');
    return new ApiGatewayManagementApiClient(base(c, c.WEBSOCKET_API_ENDPOINT).endpoint
      ? base(c, c.WEBSOCKET_API_ENDPOINT)
      : { region: c.AWS_REGION, endpoint: c.WEBSOCKET_API_ENDPOINT });
  });

/** Cognito issuer for token verification: the emulator's on the local stage, AWS's elsewhere. */
export function cognitoIssuer(c: Config = config()): string {
  if (isLocalStage(c) && c.COGNITO_ENDPOINT) return `${c.COGNITO_ENDPOINT.replace(/\/$/, '')}/${c.USER_POOL_ID}`;
  return `https://cognito-idp.${c.AWS_REGION}.amazonaws.com/${c.USER_POOL_ID}`;
}

/** For tests that switch environments within one process. */
export function resetClientsForTests(): void {
  memo.clear();
}
