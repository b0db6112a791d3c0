'use strict'

class Rectangle {
  constructor (width, height) {
    this.width = width
    this.height = height
  }

  area () {
    return this.width * this.height
  }
}

const totalArea = (shapes) => {
  return shapes.reduce((sum, shape) => sum + shape.area(), 0)
}

module.exports = { Rectangle, totalArea }
