# Reference values from R's VGAM for distributional regression (every parameter depends on x).
#
# Run from this folder (R, VGAM, jsonlite and numDeriv from Debian's packages:
#   apt-get install -y r-base-core r-cran-vgam r-cran-jsonlite r-cran-numderiv):
#
#   Rscript make_fixtures.R
#
# For each of five families it simulates one data set (n = 500, x1, x2 ~ N(0, 1)), writes it
# as <family>.csv with 17 significant digits, reads it back (so R fits exactly the numbers the
# tests read), and fits two models with vglm():
#
#   <family>_full.json : both parameters ~ x1 + x2 (zero = NULL)
#   <family>.json      : first parameter ~ x1 + x2, second parameter ~ x1, via the constraint
#                        matrices list("(Intercept)" = diag(2), x1 = diag(2), x2 = rbind(1, 0))
#
# Each JSON holds the coefficients translated into mlekit's parametrisation (see README.md),
# VGAM's standard errors sqrt(diag(vcov(fit))) (expected information: VGAM's Fisher-scoring
# working weights), standard errors from the observed information (numDeriv::hessian of the
# log-likelihood written below with d*() densities, Richardson extrapolation), logLik(fit),
# and two checks printed here and stored in the JSON:
#   * loglik_check: sum of dnorm/dgamma/dnbinom/dweibull/dbeta at the fitted parameters,
#     which must equal logLik(fit) (VGAM's log-likelihood has all its constants);
#   * max_abs_grad_times_se: max_j |d loglik / d beta_j| * se_j at VGAM's solution
#     (numDeriv::grad), which must be ~0: the values are the maximum, not an early stop.

suppressPackageStartupMessages({
  library(VGAM)
  library(jsonlite)
  library(numDeriv)
})

set.seed(20261205)
N <- 500
ctrl <- vglm.control(epsilon = 1e-13, maxit = 200)

fmt17 <- function(v) sprintf("%.17g", v)

# jsonlite prints at most 15 significant digits: write every double with 17 (round-trip exact)
# as verbatim JSON
as_json17 <- function(x) {
  if (is.list(x)) return(lapply(x, as_json17))
  if (is.double(x)) {
    txt <- if (length(x) == 1) fmt17(x) else paste0("[", paste(fmt17(x), collapse = ", "), "]")
    return(structure(txt, class = "json"))
  }
  x
}

write_csv17 <- function(d, file) {
  out <- as.data.frame(lapply(d, fmt17), stringsAsFactors = FALSE)
  write.csv(out, file, row.names = FALSE, quote = FALSE)
}

# ---------------------------------------------------------------------------------------
# Families: simulation, the VGAM family object, mlekit's names, and the log-density written
# with R's d*() functions on mlekit's linear predictors (eta1, eta2).
# `sign2` is +1 when mlekit's second linear predictor is VGAM's, -1 when it is its negative
# (negative binomial: log(alpha) = -log(size)).
# ---------------------------------------------------------------------------------------
fams <- list(
  normal = list(
    vgam = quote(uninormal(lmean = "identitylink", lsd = "loglink", zero = NULL)),
    vgam_text = 'uninormal(lmean = "identitylink", lsd = "loglink", zero = NULL)',
    params = c("mu", "sigma"), links = c("identity", "log"), sign2 = 1,
    truth = list(c(1.0, 0.5, -0.8), c(-0.2, 0.4)),
    simulate = function(e1, e2) rnorm(length(e1), mean = e1, sd = exp(e2)),
    logdens = function(y, e1, e2) dnorm(y, mean = e1, sd = exp(e2), log = TRUE),
    check_text = "dnorm(y, mean = eta_mu, sd = exp(eta_sigma), log = TRUE)"
  ),
  gamma = list(
    vgam = quote(gamma2(lmu = "loglink", lshape = "loglink", zero = NULL)),
    vgam_text = 'gamma2(lmu = "loglink", lshape = "loglink", zero = NULL)',
    params = c("mean", "shape"), links = c("log", "log"), sign2 = 1,
    truth = list(c(0.5, 0.3, -0.4), c(0.8, 0.5)),
    simulate = function(e1, e2) rgamma(length(e1), shape = exp(e2), scale = exp(e1 - e2)),
    logdens = function(y, e1, e2) dgamma(y, shape = exp(e2), scale = exp(e1 - e2), log = TRUE),
    check_text = "dgamma(y, shape = exp(eta_shape), scale = exp(eta_mean - eta_shape), log = TRUE)"
  ),
  negativebinomial = list(
    # cutoff.prob close to 1: VGAM's expected information for size is a series that it
    # truncates at an upper quantile (default 0.999); this makes the truncation negligible.
    vgam = quote(negbinomial(lmu = "loglink", lsize = "loglink", zero = NULL,
                             cutoff.prob = 1 - 1e-12)),
    vgam_text = paste0('negbinomial(lmu = "loglink", lsize = "loglink", zero = NULL, ',
                       'cutoff.prob = 1 - 1e-12)'),
    params = c("mu", "alpha"), links = c("log", "log"), sign2 = -1,
    truth = list(c(1.0, 0.5, -0.3), c(-0.3, -0.6)),   # log(alpha) = -log(size)
    simulate = function(e1, e2) rnbinom(length(e1), size = exp(-e2), mu = exp(e1)),
    logdens = function(y, e1, e2) dnbinom(y, size = exp(-e2), mu = exp(e1), log = TRUE),
    check_text = "dnbinom(y, size = exp(-eta_alpha), mu = exp(eta_mu), log = TRUE)"
  ),
  weibull = list(
    vgam = quote(weibullR(lscale = "loglink", lshape = "loglink", zero = NULL)),
    vgam_text = 'weibullR(lscale = "loglink", lshape = "loglink", zero = NULL)',
    # VGAM's linear predictors are (log scale, log shape) in that order (lss = TRUE)
    params = c("scale", "shape"), links = c("log", "log"), sign2 = 1,
    truth = list(c(0.5, 0.3, -0.2), c(0.8, 0.2)),
    simulate = function(e1, e2) rweibull(length(e1), shape = exp(e2), scale = exp(e1)),
    logdens = function(y, e1, e2) dweibull(y, shape = exp(e2), scale = exp(e1), log = TRUE),
    check_text = "dweibull(y, shape = exp(eta_shape), scale = exp(eta_scale), log = TRUE)"
  ),
  beta = list(
    vgam = quote(betaff(lmu = "logitlink", lphi = "loglink", zero = NULL)),
    vgam_text = 'betaff(lmu = "logitlink", lphi = "loglink", zero = NULL)',
    params = c("mean", "precision"), links = c("logit", "log"), sign2 = 1,
    truth = list(c(0.2, 0.6, -0.5), c(2.0, 0.5)),
    simulate = function(e1, e2) {
      m <- plogis(e1); p <- exp(e2)
      rbeta(length(e1), shape1 = m * p, shape2 = (1 - m) * p)
    },
    logdens = function(y, e1, e2) {
      m <- plogis(e1); p <- exp(e2)
      dbeta(y, shape1 = m * p, shape2 = (1 - m) * p, log = TRUE)
    },
    check_text = paste0("dbeta(y, shape1 = plogis(eta_mean) * exp(eta_precision), ",
                        "shape2 = (1 - plogis(eta_mean)) * exp(eta_precision), log = TRUE)")
  )
)

designs <- list(
  full = list(c("Intercept", "x1", "x2"), c("Intercept", "x1", "x2")),
  sub = list(c("Intercept", "x1", "x2"), c("Intercept", "x1"))
)

# Map VGAM's coefficient vector onto (linear predictor, column) pairs from the constraint
# matrices: VGAM orders coefficients term by term, and within a term by constraint column.
coef_map <- function(fit) {
  cms <- constraints(fit)
  out <- list()
  for (term in names(cms)) {
    cm <- cms[[term]]
    for (j in seq_len(ncol(cm))) {
      eta <- which(cm[, j] != 0)
      stopifnot(length(eta) == 1, cm[eta, j] == 1)
      out[[length(out) + 1]] <- list(eta = eta,
                                     col = if (term == "(Intercept)") "Intercept" else term)
    }
  }
  out
}

fit_one <- function(fname, fam, d, kind, csv) {
  if (kind == "full") {
    call_text <- sprintf(paste0("vglm(y ~ x1 + x2, %s, data = read.csv(\"%s\"), ",
                                "control = vglm.control(epsilon = 1e-13, maxit = 200))"),
                         fam$vgam_text, csv)
    fit <- vglm(y ~ x1 + x2, family = eval(fam$vgam), data = d, control = ctrl)
  } else {
    cl <- list("(Intercept)" = diag(2), x1 = diag(2), x2 = rbind(1, 0))
    call_text <- sprintf(paste0("vglm(y ~ x1 + x2, %s, data = read.csv(\"%s\"), ",
                                "constraints = list(\"(Intercept)\" = diag(2), x1 = diag(2), ",
                                "x2 = rbind(1, 0)), ",
                                "control = vglm.control(epsilon = 1e-13, maxit = 200))"),
                         fam$vgam_text, csv)
    fit <- vglm(y ~ x1 + x2, family = eval(fam$vgam), data = d, constraints = cl,
                control = ctrl)
  }
  b_r <- coef(fit)
  se_r <- sqrt(diag(vcov(fit)))
  cmap <- coef_map(fit)
  stopifnot(length(cmap) == length(b_r))

  # mlekit's coefficient vector (same order as VGAM's), sign-flipped where needed
  sgn <- sapply(cmap, function(m) if (m$eta == 2) fam$sign2 else 1)
  b <- unname(b_r) * sgn
  X <- cbind(Intercept = 1, x1 = d$x1, x2 = d$x2)
  etas <- function(beta) {
    e <- matrix(0, nrow(d), 2)
    for (k in seq_along(cmap)) {
      e[, cmap[[k]]$eta] <- e[, cmap[[k]]$eta] + beta[k] * X[, cmap[[k]]$col]
    }
    e
  }
  ll_fun <- function(beta) {
    e <- etas(beta)
    sum(fam$logdens(d$y, e[, 1], e[, 2]))
  }
  ll_vgam <- as.numeric(logLik(fit))
  ll_check <- ll_fun(b)
  # VGAM's own linear predictors must be the ones rebuilt here
  e_vgam <- predict(fit)
  e_vgam[, 2] <- fam$sign2 * e_vgam[, 2]
  stopifnot(max(abs(e_vgam - etas(b))) < 1e-10)

  H <- numDeriv::hessian(ll_fun, b)
  se_obs <- sqrt(diag(solve(-H)))
  g <- numDeriv::grad(ll_fun, b)
  gse <- max(abs(g) * se_r)

  cat(sprintf("%-22s iter=%3d  logLik=%.12f  sum(d*)=%.12f  rel.diff=%.2e  max|grad*se|=%.2e\n",
              fname, fit@iter, ll_vgam, ll_check, abs(ll_check - ll_vgam) / abs(ll_vgam), gse))
  stopifnot(abs(ll_check - ll_vgam) <= 1e-10 * abs(ll_vgam), gse < 1e-6)

  coef_out <- list(); se_out <- list(); seo_out <- list()
  for (k in 1:2) {
    p <- fam$params[k]
    coef_out[[p]] <- list(); se_out[[p]] <- list(); seo_out[[p]] <- list()
  }
  for (k in seq_along(cmap)) {
    p <- fam$params[cmap[[k]]$eta]
    col <- cmap[[k]]$col
    coef_out[[p]][[col]] <- b[k]
    se_out[[p]][[col]] <- unname(se_r[k])
    seo_out[[p]][[col]] <- se_obs[k]
  }
  des <- designs[[kind]]
  names(des) <- fam$params
  # order of the columns within each block as in `designs`
  for (p in fam$params) {
    stopifnot(setequal(names(coef_out[[p]]), des[[p]]))
    coef_out[[p]] <- coef_out[[p]][des[[p]]]
    se_out[[p]] <- se_out[[p]][des[[p]]]
    seo_out[[p]] <- seo_out[[p]][des[[p]]]
  }
  links <- as.list(fam$links); names(links) <- fam$params

  res <- list(
    family = fname,
    model = kind,
    software = "R VGAM vglm",
    r_call = call_text,
    r_version = R.version.string,
    vgam_version = as.character(packageVersion("VGAM")),
    data = csv,
    n = nrow(d),
    response = "y",
    links = links,
    designs = des,
    coef = coef_out,
    se = se_out,
    se_information = paste0("expected: sqrt(diag(vcov(fit))) from VGAM's Fisher-scoring ",
                            "working weights"),
    se_observed = seo_out,
    se_observed_information = paste0("observed: sqrt(diag(solve(-H))), H = numDeriv::hessian ",
                                     "of the log-likelihood at the fitted coefficients"),
    loglik = ll_vgam,
    loglik_check = ll_check,
    loglik_check_formula = paste0("sum(", fam$check_text, ")"),
    max_abs_grad_times_se = gse,
    vgam_iterations = fit@iter,
    r_coef_names = names(b_r),
    r_coef = unname(b_r),
    r_se = unname(se_r),
    sign_vs_r = as.integer(sgn),
    note = if (fam$sign2 == -1) {
      paste0("mlekit's alpha = 1/size: the alpha coefficients are the negatives of VGAM's ",
             "log(size) coefficients (r_coef); standard errors are the same")
    } else {
      "coefficients are VGAM's, renamed"
    }
  )
  out_file <- if (kind == "full") paste0(fname, "_full.json") else paste0(fname, ".json")
  writeLines(toJSON(as_json17(res), auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE),
             out_file)
  back <- fromJSON(out_file)
  stopifnot(identical(back$loglik, ll_vgam), identical(back$r_coef, unname(b_r)))
  invisible(res)
}

for (fname in names(fams)) {
  fam <- fams[[fname]]
  x1 <- rnorm(N)
  x2 <- rnorm(N)
  tr <- fam$truth
  e1 <- tr[[1]][1] + tr[[1]][2] * x1 + tr[[1]][3] * x2
  e2 <- tr[[2]][1] + tr[[2]][2] * x1
  y <- fam$simulate(e1, e2)
  csv <- paste0(fname, ".csv")
  write_csv17(data.frame(y = y, x1 = x1, x2 = x2), csv)
  d <- read.csv(csv)
  stopifnot(all(d$y == y), all(d$x1 == x1), all(d$x2 == x2))
  if (fname == "beta") stopifnot(all(d$y > 0 & d$y < 1))
  for (kind in c("full", "sub")) fit_one(fname, fam, d, kind, csv)
}
cat("VGAM", as.character(packageVersion("VGAM")), "-", R.version.string, "\n")
