-- CreateTable
CREATE TABLE "Thread" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "title" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Message" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "threadId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "content" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL,
    "model" TEXT,
    "streamId" TEXT,
    "inputTokens" INTEGER,
    "outputTokens" INTEGER,
    "stopReason" TEXT,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "errorRetryable" BOOLEAN,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Message_threadId_fkey" FOREIGN KEY ("threadId") REFERENCES "Thread" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Stream" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "resourceId" TEXT,
    "threadId" TEXT,
    "status" TEXT NOT NULL,
    "idempotencyKey" TEXT,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "firstChunkAt" DATETIME,
    "chunkCount" INTEGER NOT NULL DEFAULT 0,
    "bytes" INTEGER NOT NULL DEFAULT 0,
    "peakSubscribers" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" INTEGER,
    "outputTokens" INTEGER,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "errorRetryable" BOOLEAN,
    "prunedThrough" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "StreamEvent" (
    "streamId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "at" DATETIME NOT NULL,

    PRIMARY KEY ("streamId", "seq"),
    CONSTRAINT "StreamEvent_streamId_fkey" FOREIGN KEY ("streamId") REFERENCES "Stream" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Message_streamId_idx" ON "Message"("streamId");

-- CreateIndex
CREATE UNIQUE INDEX "Message_threadId_position_key" ON "Message"("threadId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "Stream_idempotencyKey_key" ON "Stream"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Stream_kind_status_startedAt_idx" ON "Stream"("kind", "status", "startedAt");

-- CreateIndex
CREATE INDEX "Stream_startedAt_idx" ON "Stream"("startedAt");

-- CreateIndex
CREATE INDEX "Stream_threadId_idx" ON "Stream"("threadId");

-- CreateIndex
CREATE INDEX "Stream_resourceId_idx" ON "Stream"("resourceId");
