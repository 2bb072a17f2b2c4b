# Reference bootstrap distributions from fitdistrplus::bootdist (Debian r-cran-fitdistrplus).
# Run from this directory: Rscript make_fixtures.R  -> bootdist_nile_gamma.csv
# A gamma (shape, rate) fitted by maximum likelihood to R's Nile series (the same 100
# values as mk.datasets.load("nile")["volume"]), bootstrapped 999 times parametrically and
# nonparametrically. The CSV holds the median and the 2.5 % / 97.5 % quantiles of each
# parameter's bootstrap distribution (Monte-Carlo quantities: compared loosely).
suppressPackageStartupMessages(library(fitdistrplus))
set.seed(20261206)
x <- as.numeric(Nile)
fit <- fitdist(x, "gamma", method = "mle", start = list(shape = 30, rate = 0.03),
               lower = c(1e-8, 1e-8))
rows <- list()
for (bm in c("param", "nonparam")) {
  b <- bootdist(fit, bootmethod = bm, niter = 999, silent = TRUE)
  for (p in c("shape", "rate")) {
    v <- b$estim[[p]]
    rows[[length(rows) + 1]] <- data.frame(
      bootmethod = bm, parameter = p, mle = unname(fit$estimate[p]),
      median = median(v), q025 = unname(quantile(v, 0.025)),
      q975 = unname(quantile(v, 0.975)), n_ok = length(v), sum_x = sum(x))
  }
}
out <- do.call(rbind, rows)
write.csv(out, "bootdist_nile_gamma.csv", row.names = FALSE)
cat(sprintf("R %s, fitdistrplus %s\n", getRversion(), packageVersion("fitdistrplus")))
