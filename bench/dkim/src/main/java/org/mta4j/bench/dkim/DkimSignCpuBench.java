package org.mta4j.bench.dkim;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyPair;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.mta4j.dkim.DkimKeys;
import org.mta4j.dkim.DkimSigner;

/**
 * The same comparison as {@link DkimSignBench}, made robust to a loaded machine: both candidates run
 * in one thread, in alternating blocks, and each block is timed by the thread's CPU time (what
 * other processes take from the core does not count), so the ratio of each round compares the two
 * under the same conditions. Prints, per key, signatures per CPU-second of each and their ratio per
 * round, then the medians.
 *
 * <p>Usage: {@code java -cp ... org.mta4j.bench.dkim.DkimSignCpuBench [rounds] [opsPerBlock]}
 */
public final class DkimSignCpuBench {

  private interface Op {
    Object run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int block = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    byte[] message = DkimSignBench.message(DkimSignBench.SIZE);
    for (String key : List.of("ed25519", "rsa-2048")) {
      boolean ed = key.equals("ed25519");
      KeyPair pair = ed ? DkimKeys.generateEd25519() : DkimKeys.generateRsa(2048);
      DkimSigner signer = DkimSigner.builder().key("example.com", "s1", pair.getPrivate()).build();
      String algorithm = ed ? "Ed25519" : "SHA256withRSA";
      Op dkim = () -> signer.sign(new ByteArrayInputStream(message));
      Op raw =
          () -> {
            Signature signature = Signature.getInstance(algorithm);
            signature.initSign(pair.getPrivate());
            signature.update(message);
            return signature.sign();
          };
      int opsPerBlock = ed ? block : Math.max(10, block / 10);
      // warm-up: let the JIT compile both paths
      for (int i = 0; i < 5; i++) {
        time(threads, dkim, opsPerBlock);
        time(threads, raw, opsPerBlock);
      }
      List<Double> ratios = new ArrayList<>();
      List<Double> dkimRates = new ArrayList<>();
      List<Double> rawRates = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        // alternate which goes first, so neither always follows the other
        double d;
        double r;
        if (round % 2 == 0) {
          d = opsPerBlock / time(threads, dkim, opsPerBlock);
          r = opsPerBlock / time(threads, raw, opsPerBlock);
        } else {
          r = opsPerBlock / time(threads, raw, opsPerBlock);
          d = opsPerBlock / time(threads, dkim, opsPerBlock);
        }
        dkimRates.add(d);
        rawRates.add(r);
        ratios.add(d / r);
        System.out.printf(
            "%-8s round %2d: dkimSign %8.0f/cpu-s  rawJcaSign %8.0f/cpu-s  ratio %5.1f %%%n",
            key, round, d, r, 100 * d / r);
      }
      System.out.printf(
          "%-8s MEDIAN   : dkimSign %8.0f/cpu-s  rawJcaSign %8.0f/cpu-s  ratio %5.1f %%"
              + " (median of per-round ratios; %d ops per block)%n",
          key, median(dkimRates), median(rawRates), 100 * median(ratios), opsPerBlock);
    }
  }

  // seconds of this thread's CPU time for n operations
  private static double time(ThreadMXBean threads, Op op, int n) throws Exception {
    Object sink = null;
    long start = threads.getCurrentThreadCpuTime();
    for (int i = 0; i < n; i++) {
      sink = op.run();
    }
    long end = threads.getCurrentThreadCpuTime();
    if (sink == null) {
      throw new IllegalStateException("no result");
    }
    return (end - start) / 1e9;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
