export { packages, type PackagesOptions } from './packages.js'
export { repository, type RepositoryOptions } from './repository.js'
export { dearmor } from './dearmor.js'
