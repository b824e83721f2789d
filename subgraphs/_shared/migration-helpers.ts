import { TableColumn, type TableColumnOptions } from 'typeorm';

/**
 * Column builders for hand-written migrations that run unchanged on MySQL/MariaDB and SQLite.
 * They mirror the portable types of stack-notes.md; the drift test proves they match the entities.
 */
export const col = {
  id: (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true }),
  uuid: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable }),
  tenant: (): TableColumnOptions => ({ name: 'tenant_id', type: 'varchar', length: '64' }),
  varchar: (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable }),
  text: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable }),
  // `integer`, not `int`: SQLite reads `int` back as "int" while typeorm maps the entity's int to "integer".
  int: (name: string, nullable = false, dflt?: number): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable, ...(dflt !== undefined ? { default: dflt } : {}) }),
  double: (name: string, nullable = false, dflt?: number): TableColumnOptions => ({ name, type: 'double', isNullable: nullable, ...(dflt !== undefined ? { default: dflt } : {}) }),
  // Default as 0/1: SQLite reads `DEFAULT (false)` back as "false", which drifts from the entity's default.
  bool: (name: string, dflt = false): TableColumnOptions => ({ name, type: 'boolean', default: dflt ? 1 : 0 }),
  datetime: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable }),
  json: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'json', isNullable: nullable }),
};

export const column = (o: TableColumnOptions) => new TableColumn(o);
