# pscl::vuong of a Poisson GLM against a zero-inflated Poisson (constant inflation) on the
# combinators' committed data (tests/families/data/r_combinators/data.csv).
# R 4.2.2, pscl 1.5.5. Run from this directory: Rscript make_vuong_zip.R
suppressMessages(library(pscl))
d <- read.csv("../../../families/data/r_combinators/data.csv")
m1 <- glm(y ~ x1 + x2, family = poisson, data = d,
          control = glm.control(epsilon = 1e-14, maxit = 100))
m2 <- zeroinfl(y ~ x1 + x2 | 1, data = d, dist = "poisson",
               control = zeroinfl.control(reltol = 1e-14, maxit = 10000))
options(digits = 15)
out <- capture.output(vuong(m1, m2), type = "output")
rows <- grep("^(Raw|AIC-corrected|BIC-corrected)", out, value = TRUE)
z <- as.numeric(sub("^[A-Za-z-]+[[:space:]]+([-0-9.e]+).*$", "\\1", rows))
p <- as.numeric(sapply(strsplit(trimws(rows), "[[:space:]]+"), function(r) r[length(r)]))
cat(sprintf('{"llf_poisson": %.15g, "llf_zip": %.15g, "statistic": [%s], "pvalue": [%s]}\n',
            as.numeric(logLik(m1)), as.numeric(logLik(m2)),
            paste(sprintf("%.15g", z), collapse = ", "), paste(sprintf("%.15g", p), collapse = ", ")),
    file = "vuong_zip.json")
