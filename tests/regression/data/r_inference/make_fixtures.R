# Reference values for mlekit's dispersion conventions and least-squares goodness of fit
# (issue #23, items 1-2): R's summary.lm and summary.glm.
#
# Run from this folder (R >= 4.2 with jsonlite; Debian: apt-get install -y r-base-core
# r-cran-jsonlite):
#
#   Rscript make_fixtures.R
#
# It writes:
#   longley.json : lm(TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR) on longley.csv
#                  (mlekit.datasets.load("longley"), the NIST StRD numbers): coefficients,
#                  standard errors, t values, p-values, 95% confint, sigma, R^2, adjusted
#                  R^2, the F statistic with its degrees of freedom and p-value, logLik
#   glm.csv      : a small simulated data set (n = 40; x1, x2 ~ N(0, 1); a Gamma and an
#                  inverse Gaussian response with mean exp(0.3 + 0.4 x1 - 0.3 x2); integer
#                  weights w in 1..3), written with 17 significant digits and read back so
#                  that R fits exactly the numbers the tests read
#   glm.json     : summary.glm of Gamma(log), Gamma(inverse), inverse.gaussian(1/mu^2)
#                  (started at the intercept-only 1/mean(y)^2) and inverse.gaussian(log)
#                  fits of y ~ x1 + x2: coefficients, standard errors, t values, p-values
#                  (t on df.residual), the Pearson dispersion, df.residual, deviance
#                  (R's summary.glm: dispersion = sum(w * residuals(fit, "pearson")^2) /
#                  df.residual; standard errors from the expected (Fisher) information of
#                  the IRLS weights)
#   weighted.json: lm(y ~ x1 + x2, weights = w) on glm.csv with y = log(y_gamma)
#                  (coefficients, R^2 — which do not depend on how weights are counted)
#                  and lm on the rows repeated w times (frequency weights, mlekit's
#                  convention: standard errors, adjusted R^2, F and its p-value)
suppressPackageStartupMessages(library(jsonlite))

write_json17 <- function(x, path) {
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, pretty = TRUE), path)
}

lm_summary <- function(fit) {
  s <- summary(fit)
  cf <- coef(s)
  f <- s$fstatistic
  list(
    names = rownames(cf),
    coef = unname(cf[, 1]), bse = unname(cf[, 2]), tvalues = unname(cf[, 3]),
    pvalues = unname(cf[, 4]),
    conf_int_lower = unname(confint(fit)[, 1]), conf_int_upper = unname(confint(fit)[, 2]),
    sigma = s$sigma, df_resid = fit$df.residual,
    rsquared = s$r.squared, rsquared_adj = s$adj.r.squared,
    fvalue = unname(f["value"]), f_numdf = unname(f["numdf"]), f_dendf = unname(f["dendf"]),
    f_pvalue = unname(pf(f["value"], f["numdf"], f["dendf"], lower.tail = FALSE)),
    loglik = as.numeric(logLik(fit)), aic = AIC(fit), bic = BIC(fit)
  )
}

glm_summary <- function(fit) {
  s <- summary(fit)
  cf <- coef(s)
  list(
    names = rownames(cf),
    coef = unname(cf[, 1]), bse = unname(cf[, 2]), tvalues = unname(cf[, 3]),
    pvalues = unname(cf[, 4]),
    dispersion = s$dispersion, df_resid = fit$df.residual, deviance = fit$deviance,
    pearson_chi2 = sum(residuals(fit, type = "pearson")^2),
    converged = fit$converged
  )
}

# ---------------------------------------------------------------- Longley: lm
longley <- read.csv("longley.csv")
fit <- lm(TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR, data = longley)
write_json17(lm_summary(fit), "longley.json")

# ---------------------------------------------------------------- simulated GLM data
set.seed(20231)
n <- 40
x1 <- rnorm(n)
x2 <- rnorm(n)
mu <- exp(0.3 + 0.4 * x1 - 0.3 * x2)
y_gamma <- rgamma(n, shape = 3, rate = 3 / mu)
# inverse Gaussian (Michael, Schucany & Haas 1976), lambda = 4
lam <- 4
nu <- rnorm(n)^2
xx <- mu + mu^2 * nu / (2 * lam) - mu / (2 * lam) * sqrt(4 * mu * lam * nu + mu^2 * nu^2)
y_ig <- ifelse(runif(n) <= mu / (mu + xx), xx, mu^2 / xx)
w <- sample(1:3, n, replace = TRUE)
d <- data.frame(x1 = x1, x2 = x2, y_gamma = y_gamma, y_ig = y_ig, w = w)
d17 <- d
d17[] <- lapply(d, function(v) sprintf("%.17g", v))
write.csv(d17, "glm.csv", row.names = FALSE, quote = FALSE)
d <- read.csv("glm.csv")

ctl <- glm.control(epsilon = 1e-14, maxit = 100)
out <- list(
  gamma_log = glm_summary(glm(y_gamma ~ x1 + x2, family = Gamma(link = "log"), data = d,
                              control = ctl)),
  gamma_inverse = glm_summary(glm(y_gamma ~ x1 + x2, family = Gamma(link = "inverse"),
                                  data = d, control = ctl)),
  invgauss = glm_summary(glm(y_ig ~ x1 + x2, family = inverse.gaussian(), data = d,
                             control = ctl, start = c(1 / mean(d$y_ig)^2, 0, 0))),
  invgauss_log = glm_summary(glm(y_ig ~ x1 + x2, family = inverse.gaussian(link = "log"),
                                 data = d, control = ctl))
)
write_json17(out, "glm.json")

# ---------------------------------------------------------------- weights
d$ly <- log(d$y_gamma)
fw <- lm(ly ~ x1 + x2, data = d, weights = w)
rep_rows <- d[rep(seq_len(n), d$w), ]
fr <- lm(ly ~ x1 + x2, data = rep_rows)
write_json17(list(lm_weights = lm_summary(fw), lm_replicated = lm_summary(fr)),
             "weighted.json")
cat("R", R.version.string, "\n")
print(summary(fit))
print(sapply(out, function(o) o$dispersion))
