package org.apbj.tokenizer;

import java.util.List;

/** Post-processors of tokenizer.json: what "add special tokens" adds around an encoded text. */
sealed interface PostProcessor {
    int[] apply(int[] ids, boolean addSpecialTokens);

    /** ByteLevel's post-processing only trims offsets, which ids do not carry. */
    record Identity() implements PostProcessor {
        @Override
        public int[] apply(int[] ids, boolean addSpecialTokens) {
            return ids;
        }
    }

    /** TemplateProcessing's "single" template: fixed special-token ids around the sequence. */
    record Template(int[] before, int[] after) implements PostProcessor {
        @Override
        public int[] apply(int[] ids, boolean addSpecialTokens) {
            if (!addSpecialTokens || (before.length == 0 && after.length == 0)) return ids;
            int[] out = new int[before.length + ids.length + after.length];
            System.arraycopy(before, 0, out, 0, before.length);
            System.arraycopy(ids, 0, out, before.length, ids.length);
            System.arraycopy(after, 0, out, before.length + ids.length, after.length);
            return out;
        }
    }

    record Sequence(List<PostProcessor> processors) implements PostProcessor {
        @Override
        public int[] apply(int[] ids, boolean addSpecialTokens) {
            for (PostProcessor p : processors) ids = p.apply(ids, addSpecialTokens);
            return ids;
        }
    }
}
