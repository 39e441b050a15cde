package org.apbj.tokenizer;

import java.util.Random;

/**
 * Deterministic English-like text for throughput measurements and long-text checks: common
 * English words drawn with a Zipf-like law (as in real prose), 10% rarer made-up words (the long
 * tail: names, technical terms), numbers, punctuation, capitalized sentence starts, paragraphs.
 */
final class BenchmarkText {
    private static final String[] COMMON = ("the of and to a in is it you that he was for on are with as I his they be at one"
            + " have this from or had by not word but what some we can out other were all there when up use your how said an"
            + " each she which do their time if will way about many then them write would like so these her long make thing see"
            + " him two has look more day could go come did number sound no most people my over know water than call first who"
            + " may down side been now find any new work part take get place made live where after back little only round man"
            + " year came show every good me give our under name very through just form sentence great think say help low line"
            + " differ turn cause much mean before move right boy old too same tell does set three want air well also play small"
            + " end put home read hand port large spell add even land here must big high such follow act why ask men change went"
            + " light kind off need house picture try us again animal point mother world near build self earth father head stand"
            + " own page should country found answer school grow study still learn plant cover food sun four between state keep"
            + " eye never last let thought city tree cross farm hard start might story saw far sea draw left late run don't while"
            + " press close night real life few north open seem together next white children begin got walk example ease paper"
            + " group always music those both mark often letter until mile river car feet care second book carry took science eat"
            + " room friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain"
            + " girl usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song"
            + " measure door product black short numeral class wind question happen complete ship area half rock order fire south"
            + " problem piece told knew pass since top whole king space heard best hour better true during hundred five remember"
            + " step early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several"
            + " vowel toward war lay against pattern slow center love person money serve appear road map rain rule govern pull"
            + " cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun"
            + " field rest correct able pound done beauty drive stood contain front teach week final gave green oh quick develop"
            + " ocean warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay"
            + " wheel full force blue object decide surface deep moon island foot system busy test record boat common gold possible"
            + " plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire bring yes"
            + " distant fill east paint language among").split(" ");
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ter", "an", "dra", "ul", "vex", "qui", "nor", "sha", "pe",
            "ti", "zon", "bre", "ly", "gam", "or", "es", "thu"};

    private BenchmarkText() {}

    /** About {@code chars} characters of English-like text. */
    static String english(int chars) {
        Random random = new Random(20250101);
        StringBuilder sb = new StringBuilder(chars + 200);
        while (sb.length() < chars) {
            int words = 8 + random.nextInt(18);
            for (int w = 0; w < words; w++) {
                String word;
                int r = random.nextInt(100);
                if (r < 88) {
                    // Zipf-like: index ~ floor(N^u) favours the first (most common) words
                    word = COMMON[Math.min(COMMON.length - 1, (int) Math.pow(COMMON.length, random.nextDouble()) - 1)];
                } else if (r < 98) {
                    StringBuilder made = new StringBuilder();
                    for (int s = 1 + random.nextInt(4); s > 0; s--) made.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
                    word = random.nextInt(4) == 0 ? Character.toUpperCase(made.charAt(0)) + made.substring(1) : made.toString();
                } else {
                    word = Integer.toString(random.nextInt(random.nextBoolean() ? 100 : 100_000));
                }
                if (w == 0) word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                else sb.append(' ');
                sb.append(word);
                if (w < words - 1 && random.nextInt(12) == 0) sb.append(',');
            }
            sb.append(random.nextInt(10) == 0 ? "?" : ".");
            sb.append(random.nextInt(6) == 0 ? "\n\n" : " ");
        }
        return sb.toString();
    }
}
