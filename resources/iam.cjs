// Least privilege: one IAM role per function group, each naming its actions on this stack's own
// resources only (serverless.yml `resources`, every function's `role:`). The groups:
//   HttpApiRole    — the HTTP API (functions/core.yml, auth.yml, billing.yml, jobs.yml)
//   MediaStageRole — the stage functions, which parse untrusted media (resources/pipeline.cjs)
//   PipelineRole   — coordinator, sweeper, dead-letter consumer, notifier, WebSocket routes
//   WebhooksRole   — the Stripe webhook
// Secrets: each role may read only the SSM parameters its group uses (GROUP_SECRETS in
// lib/config/secret-names.ts, which the code asks for by the same names).
// The template test (tests/template/iam.test.ts) checks the Resources as well as the Actions.
'use strict';

const { STAGE_TABLE } = require('../lib/contracts/stage-table.ts');
const { SECRET_PARAMETERS, GROUP_SECRETS } = require('../lib/config/secret-names.ts');
const { JOB_QUEUES } = require('./pipeline.cjs');

const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const queueArn = (name) => ({ 'Fn::GetAtt': [`${pascal(name)}Queue`, 'Arn'] });
const dlqArn = (name) => ({ 'Fn::GetAtt': [`${pascal(name)}QueueDlq`, 'Arn'] });

const TABLE = [{ 'Fn::GetAtt': ['AppTable', 'Arn'] }, { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['AppTable', 'Arn'] }, 'index/*']] }];
const OBJECTS = { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['MediaBucket', 'Arn'] }, '/*']] };
const BUCKET = { 'Fn::GetAtt': ['MediaBucket', 'Arn'] };
const TOPIC = { Ref: 'JobEventsTopic' };
// postToConnection / deleteConnection on this stage's WebSocket API only.
const CONNECTIONS = { 'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketsApi}/*/@connections/*' };

/** Reads and writes of items. DeleteItem is separate: only some groups hold it. */
const ITEM_RW = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];

const statement = (Sid, Action, Resource, Condition) => ({ Sid, Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) });
const consume = (Sid, arns) => statement(Sid, ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], arns);
// Powertools idempotency deletes its own record when a handler fails (lib/db/idempotency.ts).
const idempotencyDelete = statement('DeleteIdempotencyRecords', ['dynamodb:DeleteItem'], TABLE, {
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDEMPOTENCY#*'] },
});

async function resources({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const prefix = `${service}-${stage}`;
  const secrets = (group) => {
    const names = GROUP_SECRETS[group];
    if (names.length === 0) return [];
    return [
      statement(
        'ReadSecrets',
        ['ssm:GetParameters'],
        names.map((n) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${service}/${stage}/${SECRET_PARAMETERS[n]}` })),
      ),
    ];
  };
  const base = [
    statement('Logs', ['logs:CreateLogStream', 'logs:PutLogEvents'], [{ 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${prefix}-*:*` }]),
    // X-Ray has no resource-level permissions.
    statement('Tracing', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']),
  ];

  const groups = {
    HttpApiRole: [
      statement('AppTable', [...ITEM_RW, 'dynamodb:DeleteItem', 'dynamodb:DescribeTable'], TABLE),
      statement('PublishJobEvents', ['sns:Publish', 'sns:GetTopicAttributes'], TOPIC),
      // Presigned uploads (multipart, size-checked, deleted on mismatch) and presigned clip downloads.
      statement('MediaObjects', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], OBJECTS),
      statement('MediaBucket', ['s3:ListBucket'], BUCKET),
      // GET /admin/users and the health probe; no admin write actions.
      statement('CognitoRead', ['cognito-idp:ListUsers', 'cognito-idp:DescribeUserPool'], { 'Fn::GetAtt': ['UserPool', 'Arn'] }),
      // Sign-out closes the session's sockets.
      statement('WebSocketConnections', ['execute-api:ManageConnections'], CONNECTIONS),
      ...secrets('http'),
    ],
    MediaStageRole: [
      statement('AppTable', ITEM_RW, TABLE),
      idempotencyDelete,
      statement('PublishJobEvents', ['sns:Publish'], TOPIC),
      statement('MediaObjects', ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], OBJECTS),
      statement('MediaBucket', ['s3:ListBucket'], BUCKET),
      consume('StageQueues', STAGE_TABLE.map((s) => queueArn(s.name))),
      ...secrets('media'),
    ],
    PipelineRole: [
      // DeleteItem: WebSocket connection records ($disconnect, sockets that are gone).
      statement('AppTable', [...ITEM_RW, 'dynamodb:DeleteItem'], TABLE),
      statement('PublishJobEvents', ['sns:Publish'], TOPIC),
      statement('MediaObjects', ['s3:GetObject'], OBJECTS),
      consume('PipelineQueues', [queueArn('coordinator'), queueArn('notifier'), ...JOB_QUEUES.map(dlqArn)]),
      statement('WebSocketConnections', ['execute-api:ManageConnections'], CONNECTIONS),
      ...secrets('pipeline'),
    ],
    WebhooksRole: [
      statement('AppTable', ITEM_RW, TABLE),
      ...secrets('webhooks'),
    ],
  };

  const Resources = {};
  for (const [id, statements] of Object.entries(groups)) {
    Resources[id] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
        },
        Policies: [{ PolicyName: `${prefix}-${id}`, PolicyDocument: { Version: '2012-10-17', Statement: [...base, ...statements] } }],
      },
    };
  }
  return { Resources };
}

module.exports = { resources };
