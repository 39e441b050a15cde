package org.apbj.tokenizer;
public class Speed { public static void main(String[] a) throws Exception {
  String text = BenchmarkText.english(1_000_000);
  System.out.println("bytes="+text.getBytes("UTF-8").length);
  for (String n : new String[]{"llama3","qwen2_5"}) {
    long t0=System.nanoTime(); Tokenizer t = Tokenizer.load(java.nio.file.Path.of("/work/shared/tokenizers/"+n)); System.out.println(n+" load ms "+(System.nanoTime()-t0)/1e6);
    for (int r=0;r<8;r++){ t.clearCache(); long s=System.nanoTime(); int[] ids=t.encode(text); long c=System.nanoTime(); t.encode(text); long w=System.nanoTime();
      System.out.printf("%s cold %.1f MB/s warm %.1f MB/s tokens %d%n", n, 1e3/((c-s)/1e6), 1e3/((w-c)/1e6), ids.length);}
  }
}}
