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
  int: (name: string, nullable = false, dflt?: number): TableColumnOptions => ({ name, type: 'int', isNullable: nullable, ...(dflt !== undefined ? { default: dflt } : {}) }),
  double: (name: string, nullable = false, dflt?: number): TableColumnOptions => ({ name, type: 'double', isNullable: nullable, ...(dflt !== undefined ? { default: dflt } : {}) }),
  bool: (name: string, dflt = false): TableColumnOptions => ({ name, type: 'boolean', default: dflt }),
  datetime: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable }),
  json: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'json', isNullable: nullable }),
};

export const column = (o: TableColumnOptions) => new TableColumn(o);
