import { defineConfig } from 'prisma/config';

// The Prisma CLI reads this file; the server itself never runs the CLI (see docs/database.md).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:./data/streamgate.db' },
});
