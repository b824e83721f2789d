import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A tenant is a brand. Its id is the slug carried in every JWT's `tenant` claim. */
@Entity('tenants')
export class TenantEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'name', type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
