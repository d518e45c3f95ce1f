// SNS → SQS fan-out, generated from one table so every queue gets the same treatment:
// its own DLQ (maxReceiveCount 5), a queue policy scoped by aws:SourceArn to the job-events topic,
// a raw-delivery subscription with a filter policy, and VisibilityTimeout = 6 × its function timeout.
// The event types below mirror lib/contracts/job-events.ts; tests/unit/template.test.ts checks it.
'use strict';

const STAGES = ['download', 'probe', 'audio', 'transcribe', 'select', 'render', 'finalize'];
const COORDINATOR_TYPES = ['job.requested', 'stage.completed', 'stage.failed', 'job.cancelled'];
const NOTIFIER_TYPES = ['job.requested', 'stage.completed', 'stage.failed', 'job.cancelled', 'job.finished', 'job.progress'];
const MAX_RECEIVE_COUNT = 5;

const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const timeouts = await resolveVariable('self:custom.consumers');
  const consumers = [
    ...STAGES.map((name) => ({ name, filter: { type: ['stage.requested'], stage: [name] } })),
    { name: 'coordinator', filter: { type: COORDINATOR_TYPES } },
    { name: 'notifier', filter: { type: NOTIFIER_TYPES } },
  ];

  const Resources = {
    JobEventsTopic: {
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: `${service}-${stage}-job-events` },
    },
  };
  for (const { name, filter } of consumers) {
    const id = `${pascal(name)}Queue`;
    const timeout = Number(timeouts[name]);
    if (!timeout) throw new Error(`custom.consumers.${name} (function timeout) is missing`);
    if (!Number(timeouts.deadLetter)) throw new Error('custom.consumers.deadLetter (DLQ consumer timeout) is missing');
    Resources[`${id}Dlq`] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${service}-${stage}-${name}-dlq`,
        // The DLQ consumer fails the job and refunds it: 6x its timeout, like every other queue.
        VisibilityTimeout: Number(timeouts.deadLetter) * 6,
        MessageRetentionPeriod: 1209600,
        SqsManagedSseEnabled: true,
      },
    };
    Resources[id] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${service}-${stage}-${name}`,
        VisibilityTimeout: timeout * 6,
        MessageRetentionPeriod: 345600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [`${id}Dlq`, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    };
    Resources[`${id}Policy`] = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AllowJobEventsTopic',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [id, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { Ref: 'JobEventsTopic' } } },
            },
          ],
        },
      },
    };
    Resources[`${id}Subscription`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: 'JobEventsTopic' },
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': [id, 'Arn'] },
        RawMessageDelivery: true,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: filter,
      },
    };
  }
  return { Resources };
};
