package org.apbj.parallel.rank;

/** One request as token ids: the context (document, chat header included) and the query. */
public record TokenRequest(int[] context, int[] query) {
    public TokenRequest {
        if (context == null || context.length == 0) throw new IllegalArgumentException("a request needs context tokens");
        if (query == null || query.length == 0) throw new IllegalArgumentException("a request needs query tokens");
        context = context.clone();
        query = query.clone();
    }
}
