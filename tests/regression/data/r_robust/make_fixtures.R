# Reference values for mlekit's robust covariances (issue #23, item 3): R's
# sandwich::vcovCL (cluster-robust, type = "HC1") and sandwich::NeweyWest (HAC).
#
# Run from this folder (R >= 4.2 with sandwich and jsonlite; Debian: apt-get install -y
# r-base-core r-cran-sandwich r-cran-lmtest r-cran-jsonlite):
#
#   Rscript make_fixtures.R
#
# It reads robust.csv (n = 300 rows in time order; 30 clusters "c00".."c29"; x1, x2;
# y_lin with AR(1) errors, a Poisson count y_pois and a 0/1 y_bin with a cluster
# effect), written by mlekit's tests with 17 significant digits from
#   numpy.random.default_rng(20231) (see test_robust_cov.py, make_data()),
# and writes robust.json:
#   cluster_poisson, cluster_logit : glm(y ~ x1 + x2, poisson / binomial) with
#       vcovCL(fit, cluster = ~cluster, type = "HC1") (cadjust = TRUE: the CR1 factor
#       G/(G-1) (n-1)/(n-k))
#   hac_lm_L4, hac_poisson_L3 : lm(y_lin ~ x1 + x2) and glm(y_pois ~ x1 + x2, poisson)
#       with NeweyWest(fit, lag = L, prewhite = FALSE, adjust = FALSE) (Bartlett kernel,
#       rows in the file's order, no n/(n-k) factor)
# Each entry: names, coef, vcov (row-major), bse, and the clusters' count or the lag.
suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})

d <- read.csv("robust.csv", colClasses = c(cluster = "character"))

entry <- function(fit, V, extra) {
  c(list(names = names(coef(fit)), coef = unname(coef(fit)),
         vcov = as.vector(t(unname(V))), bse = unname(sqrt(diag(V)))), extra)
}

# converged far past glm's default (epsilon = 1e-8 on the deviance), so that the
# covariances are those at the MLE to more digits than the tests' 1e-6
tight <- glm.control(epsilon = 1e-14, maxit = 100)
fp <- glm(y_pois ~ x1 + x2, family = poisson, data = d, control = tight)
fb <- glm(y_bin ~ x1 + x2, family = binomial, data = d, control = tight)
fl <- lm(y_lin ~ x1 + x2, data = d)
G <- length(unique(d$cluster))

out <- list(
  cluster_poisson = entry(fp, vcovCL(fp, cluster = ~cluster, type = "HC1"),
                          list(n_groups = G)),
  cluster_logit = entry(fb, vcovCL(fb, cluster = ~cluster, type = "HC1"),
                        list(n_groups = G)),
  hac_lm_L4 = entry(fl, NeweyWest(fl, lag = 4, prewhite = FALSE, adjust = FALSE),
                    list(maxlags = 4)),
  hac_poisson_L3 = entry(fp, NeweyWest(fp, lag = 3, prewhite = FALSE, adjust = FALSE),
                         list(maxlags = 3)),
  r_version = R.version.string,
  sandwich_version = as.character(packageVersion("sandwich"))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "robust.json")
