import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../../subgraphs/_shared/migration-helpers.js';


export class AnalyticsInitial1764500000000 implements MigrationInterface {
  name = 'AnalyticsInitial1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'metric_buckets',
        columns: [
          col.id(),
          col.tenant(),
          col.varchar('metric', 64),
          col.datetime('bucket_start'),
          col.varchar('channel_type', 40),
          col.int('count'),
          col.double('sum'),
          col.double('max'),
        ],
        indices: [new TableIndex({ name: 'uq_metric_buckets', columnNames: ['tenant_id', 'metric', 'bucket_start', 'channel_type'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'processed_events',
        columns: [col.id('event_id'), col.tenant(), col.datetime('processed_at')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('processed_events');
    await q.dropTable('metric_buckets');
  }
}
