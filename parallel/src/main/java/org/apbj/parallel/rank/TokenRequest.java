package org.apbj.parallel.rank;

/**
 * One request as token ids: the context (document, chat header included) and the query, and
 * optionally its own qpos and generation budget (null: the job's {@code --qpos} / {@code --max-tokens}).
 */
public record TokenRequest(int[] context, int[] query, Integer qpos, Integer maxTokens) {
    public TokenRequest {
        if (context == null || context.length == 0) throw new IllegalArgumentException("a request needs context tokens");
        if (query == null || query.length == 0) throw new IllegalArgumentException("a request needs query tokens");
        if (qpos != null && qpos < 0) throw new IllegalArgumentException("qpos must be >= 0, got " + qpos);
        if (maxTokens != null && maxTokens < 1) throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        context = context.clone();
        query = query.clone();
    }

    /** A request that takes qpos and max tokens from the job. */
    public TokenRequest(int[] context, int[] query) { this(context, query, null, null); }

    public int qposOr(int jobDefault) { return qpos != null ? qpos : jobDefault; }

    public int maxTokensOr(int jobDefault) { return maxTokens != null ? maxTokens : jobDefault; }
}
