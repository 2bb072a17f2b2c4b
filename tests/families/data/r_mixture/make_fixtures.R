# Reference fits for tests/families/test_mixture.py: mixtools::normalmixEM (two normals)
# from 20 seeded starts on two data sets. Run from this directory:
#   Rscript make_fixtures.R        (writes mixtools_normal2.json)
# R is not needed at test time; mlekit's llf must be at least the best of the 20 starts.
suppressMessages(library(mixtools))
library(jsonlite)

fit_starts <- function(x, seeds) {
  lapply(seeds, function(s) {
    set.seed(s)
    out <- NULL
    invisible(capture.output(out <- normalmixEM(x, k = 2, epsilon = 1e-10, maxit = 10000)))
    list(seed = s, loglik = out$loglik, lambda = out$lambda, mu = out$mu,
         sigma = out$sigma, iterations = length(out$all.loglik))
  })
}

set.seed(20261206)
n1 <- 400
z1 <- runif(n1) < 0.35
x1 <- ifelse(z1, rnorm(n1, -1, 0.7), rnorm(n1, 2, 1.2))
n2 <- 300
z2 <- runif(n2) < 0.5
x2 <- ifelse(z2, rnorm(n2, 0, 1), rnorm(n2, 1.5, 1))

seeds <- 1:20
res <- list(
  generator = "make_fixtures.R (mixtools::normalmixEM, k = 2, epsilon = 1e-10)",
  mixtools_version = as.character(packageVersion("mixtools")),
  datasets = list(
    separated = list(x = x1, starts = fit_starts(x1, seeds)),
    overlapping = list(x = x2, starts = fit_starts(x2, seeds))
  )
)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = FALSE),
           "mixtools_normal2.json")
