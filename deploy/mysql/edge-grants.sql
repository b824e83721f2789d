-- The gateway's database account for ingest at the edge (GATEWAY_INGEST=edge; docs/channels.md, "Ingest at the
-- edge"): what it does in the conversations database, and nothing more. It reads channels (their secrets are
-- sealed; it opens them with CHANNEL_SECRET_KEYS), stores webhooks, and answers the chat widget's sync and typing
-- from our sent messages. It never updates or deletes, never migrates, and reads none of the customers', tickets'
-- or routing tables, also where they share the database (docker-compose.yml).
--
-- Run in the conversations database once its replicas have migrated it (a table must exist to be granted), as an
-- account that may grant, after creating the account:
--   CREATE USER IF NOT EXISTS 'huiliu_edge'@'%' IDENTIFIED BY '<password>';
--   mysql -u root -p huiliu < deploy/mysql/edge-grants.sql
-- test/e2e/ingest-edge.e2e.spec.ts runs the edge under exactly these grants.
GRANT SELECT ON channels TO 'huiliu_edge'@'%';
GRANT SELECT, INSERT ON inbound_payloads TO 'huiliu_edge'@'%';
GRANT SELECT ON conversations TO 'huiliu_edge'@'%';
GRANT SELECT ON messages TO 'huiliu_edge'@'%';
GRANT SELECT ON message_deliveries TO 'huiliu_edge'@'%';
