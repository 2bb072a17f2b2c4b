# Reference values for mlekit's tests between models (issue #23, item 5):
# lmtest::lrtest and pscl::vuong.
#
# Run from this folder (R >= 4.2; Debian: apt-get install -y r-base-core r-cran-jsonlite
# r-cran-lmtest r-cran-pscl):
#
#   Rscript make_fixtures.R
#
# It writes:
#   compare.csv  : a simulated data set (n = 150; x1, x2, x3 ~ N(0, 1); a Poisson count
#                  `count` with mean exp(0.5 + 0.3 x1 - 0.2 x2 + 0.1 x3); a binary `z` with
#                  P(z = 1) = plogis(-0.3 + 0.8 x1 - 0.5 x2)), written with 17 significant
#                  digits and read back, so that R fits exactly the numbers the tests read
#   compare.json :
#     lrtest_poisson : lrtest(glm(count ~ x1, poisson), glm(count ~ x1 + x2 + x3, poisson))
#     lrtest_logit   : lrtest(glm(z ~ x1, binomial), glm(z ~ x1 + x2 + x3, binomial))
#                      each with both logLik values, the chi-square statistic, its df and
#                      Pr(>Chisq)
#     vuong_logit_probit : pscl::vuong(glm(z ~ x1 + x2, binomial(logit)),
#                      glm(z ~ x1 + x2 + x3, binomial(probit))): the raw, AIC- and
#                      BIC-corrected z statistics and their one-sided p-values, read from
#                      what vuong prints (it returns NULL) with options(digits = 15), and
#                      the same recomputed by pscl's definitions (m_i = log p1_i - log p2_i;
#                      z = (sum(m) - c) / (sd(m) sqrt(n)), c = 0, k1 - k2, (k1 - k2) log(n) / 2;
#                      p = 1 - pnorm(z) if z > 0 else pnorm(z)) at full precision
#   Every glm is fitted with glm.control(epsilon = 1e-14, maxit = 100).
suppressPackageStartupMessages({
  library(jsonlite)
  library(lmtest)
  library(pscl)
})

set.seed(20231)
n <- 150
x1 <- rnorm(n); x2 <- rnorm(n); x3 <- rnorm(n)
count <- rpois(n, exp(0.5 + 0.3 * x1 - 0.2 * x2 + 0.1 * x3))
z <- rbinom(n, 1, plogis(-0.3 + 0.8 * x1 - 0.5 * x2))
d <- data.frame(x1 = x1, x2 = x2, x3 = x3, count = count, z = z)
write.csv(format(d, digits = 17), "compare.csv", row.names = FALSE, quote = FALSE)
d <- read.csv("compare.csv")
# converged to the last digit (glm's default epsilon = 1e-8 leaves ~1e-6 in Vuong's z)
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

lr <- function(m0, m1) {
  t <- lrtest(m0, m1)
  list(llf_restricted = as.numeric(logLik(m0)), llf_full = as.numeric(logLik(m1)),
       df_restricted = t[1, "#Df"], df_full = t[2, "#Df"],
       statistic = t[2, "Chisq"], df = t[2, "Df"], pvalue = t[2, "Pr(>Chisq)"])
}
p0 <- glm(count ~ x1, family = poisson, data = d, control = ctl)
p1 <- glm(count ~ x1 + x2 + x3, family = poisson, data = d, control = ctl)
b0 <- glm(z ~ x1, family = binomial, data = d, control = ctl)
b1 <- glm(z ~ x1 + x2 + x3, family = binomial, data = d, control = ctl)

m1 <- glm(z ~ x1 + x2, family = binomial(link = "logit"), data = d, control = ctl)
m2 <- glm(z ~ x1 + x2 + x3, family = binomial(link = "probit"), data = d, control = ctl)
options(digits = 15)
printed <- capture.output(vuong(m1, m2))
rows <- grep("^(Raw|AIC-corrected|BIC-corrected)", printed, value = TRUE)
num <- function(line, k) as.numeric(strsplit(trimws(line), " +")[[1]][k])
printed_z <- sapply(rows, num, k = 2, USE.NAMES = FALSE)
printed_p <- sapply(rows, function(l) { f <- strsplit(trimws(l), " +")[[1]]; as.numeric(f[length(f)]) },
                    USE.NAMES = FALSE)

# pscl's definitions, at full precision
l1 <- dbinom(d$z, 1, fitted(m1), log = TRUE)
l2 <- dbinom(d$z, 1, fitted(m2), log = TRUE)
m <- l1 - l2
k1 <- length(coef(m1)); k2 <- length(coef(m2))
corr <- c(0, k1 - k2, (k1 - k2) * log(n) / 2)
v <- (sum(m) - corr) / (sd(m) * sqrt(n))
pv <- ifelse(v > 0, pnorm(v, lower.tail = FALSE), pnorm(v))

out <- list(
  lrtest_poisson = lr(p0, p1),
  lrtest_logit = lr(b0, b1),
  vuong_logit_probit = list(
    llf1 = as.numeric(logLik(m1)), llf2 = as.numeric(logLik(m2)), k1 = k1, k2 = k2, n = n,
    printed_statistic = printed_z, printed_pvalue = printed_p,
    statistic = v, pvalue = pv, names = c("raw", "aic", "bic")),
  versions = list(R = R.version.string, lmtest = as.character(packageVersion("lmtest")),
                  pscl = as.character(packageVersion("pscl")))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "compare.json")
print(printed)
